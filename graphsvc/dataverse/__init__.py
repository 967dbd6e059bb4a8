"""Microsoft Dataverse (Dynamics 365) Web API: change-tracking pages and the HTTP client."""
