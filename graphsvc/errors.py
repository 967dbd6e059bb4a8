"""The one error tree: raised by the repository and the API, mapped to HTTP statuses by
graphsvc/api/errors.py (each class carries its status; the body names the field at fault).

GraphError
├── UnauthorizedError     401: no API key, or an unknown one (only when keys are configured)
├── ForbiddenError        403: the API key's scope does not allow the request
├── NotFoundError         404: an unknown record, role or connection (the message names the id)
├── ConflictError         409: a duplicate id, a duplicate connection, a role in use, a loop
├── PayloadTooLargeError  413: a body over the size limit, a batch over its row limit
├── InvalidError          422: valid JSON that breaks a rule of the model (self-connection, ...)
└── UnavailableError      503: Neo4j cannot be reached or a query ran past its time limit
"""

from typing import Any


class GraphError(Exception):
    status_code = 500

    def __init__(self, detail: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.detail}
        if self.field:
            body["field"] = self.field
        return body | self.extra


class UnauthorizedError(GraphError):
    status_code = 401


class ForbiddenError(GraphError):
    status_code = 403


class NotFoundError(GraphError):
    status_code = 404


class ConflictError(GraphError):
    status_code = 409


class PayloadTooLargeError(GraphError):
    status_code = 413


class InvalidError(GraphError):
    status_code = 422


class UnavailableError(GraphError):
    status_code = 503


# What Neo4j answers when it stops a transaction at its time limit: TransactionTimedOut* while
# running, LockClientStopped while waiting for a lock another transaction holds.
TIMEOUT_CODES = ("TransactionTimedOut", "LockClientStopped")


def is_timeout(code: str | None) -> bool:
    return any(part in (code or "") for part in TIMEOUT_CODES)
