"""The README's code map and settings tables agree with the code: every module and setting is
named, and nothing named is gone."""

import re

from pydantic import AliasChoices

from graphsvc.config import REPO_ROOT, Settings

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _mapped() -> set[str]:
    """The paths the code map names at the start of its lines."""
    return set(re.findall(r"^\s*- `([^`]+)`:", _section("Code map"), flags=re.MULTILINE))


def test_the_code_map_names_every_module_and_package() -> None:
    mapped = _mapped()
    modules = {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "graphsvc").rglob("*.py")}
    packages = {p.rsplit("/", 1)[0] + "/" for p in modules if p.endswith("/__init__.py")}
    # A package's __init__.py is named by its folder (the top package's has a line of its own).
    expected = (modules - {p + "__init__.py" for p in packages}) | packages
    expected |= {"graphsvc/__init__.py", "cypher/", "bench/", "tests/"}
    assert not expected - mapped, f"the code map misses {sorted(expected - mapped)}"


def test_the_code_map_names_nothing_that_is_gone() -> None:
    gone = sorted(p for p in _mapped() if not (REPO_ROOT / p).exists())
    assert not gone, f"the code map names files that are not there: {gone}"


def _env_names(name: str) -> set[str]:
    """The environment variables a Settings field is read from."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return {str(choice) for choice in alias.choices}
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper()}


def _table_variables() -> set[str]:
    """Every variable named in the first column of the README's settings tables."""
    names: set[str] = set()
    for table in re.findall(r"^\| variable \| default \| what \|\n(?:\|.*\n)+", README, re.M):
        for row in table.splitlines()[2:]:
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1]))
    return names


def test_the_settings_tables_name_every_setting() -> None:
    listed = _table_variables()
    missing = {
        name: sorted(_env_names(name))
        for name in Settings.model_fields
        if not _env_names(name) & listed
    }
    assert not missing, f"settings missing from the README's tables: {missing}"


def test_the_settings_tables_name_no_setting_that_does_not_exist() -> None:
    known = set().union(*(_env_names(name) for name in Settings.model_fields))
    unknown = sorted(_table_variables() - known)
    assert not unknown, f"the README's tables name settings config.py does not read: {unknown}"
