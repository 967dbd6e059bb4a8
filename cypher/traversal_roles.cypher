// Every connection role (there are a handful): resolves a traversal's role ids or names to
// relationship types and names the roles on each hop, in one round trip.
MATCH (role:ConnectionRole)
RETURN collect(role {.id, .name, .relationship_type, .reciprocal_role_id}) AS roles
