"""Role lookup as the API does it, once: by id, then exact name, then name in any case."""

from collections.abc import Iterable, Mapping
from typing import Any

from graphsvc.graph.reads import gone
from graphsvc.rules import Role


class RoleIndex:
    """The roles of one read, for the paths that resolve many rows (batch, loader, import)."""

    def __init__(self, roles: Iterable[Mapping[str, Any] | Role]) -> None:
        self.by_id: dict[str, Role] = {}
        self.by_name: dict[str, Role] = {}
        self.by_lower: dict[str, Role] = {}
        for props in roles:
            if not isinstance(props, Role) and gone(props):
                continue
            role = props if isinstance(props, Role) else Role.of(props)
            self.by_id[role.id] = role
            self.by_name.setdefault(role.name, role)
            self.by_lower.setdefault(role.name.lower(), role)

    def get(self, key: str) -> Role | None:
        return self.by_id.get(key) or self.by_name.get(key) or self.by_lower.get(key.lower())

    def sides(
        self, key1: str | None, key2: str | None, field1: str, field2: str, defaults: bool = True
    ) -> tuple[Role | None, Role | None]:
        """Both sides' roles; with `defaults` a missing side takes the other's reciprocal.
        LookupError(field, key) for a key that names no role."""
        found: list[Role | None] = []
        for key, field in ((key1, field1), (key2, field2)):
            role = self.get(key) if key else None
            if key and role is None:
                raise LookupError(field, key)
            found.append(role)
        role1, role2 = found
        if defaults and (role1 is None) != (role2 is None):
            given = role1 or role2
            assert given is not None
            other = self.by_id.get(given.reciprocal_role_id or "")
            role1, role2 = (other, role2) if role1 is None else (role1, other)
        return role1, role2

    def __len__(self) -> int:
        return len(self.by_id)
