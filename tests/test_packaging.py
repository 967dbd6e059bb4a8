"""An installed (non-editable) graphsvc finds its Cypher without GRAPHSVC_CYPHER_DIR: the wheel
carries cypher/ as graphsvc/queries/, and config.py's default points there."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from graphsvc.config import REPO_ROOT


def _wheel(tmp_path: Path) -> Path:
    """Builds the wheel from a copy of the sources (an in-tree build would leave build/ behind)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, src / name)
    for folder in ("graphsvc", "cypher", "procedures"):
        shutil.copytree(
            REPO_ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "target")
        )
    out = tmp_path / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("graphsvc-*.whl")
    return wheel


def test_the_wheel_carries_every_cypher_file_and_package(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    cypher = REPO_ROOT / "cypher"
    expected = {
        "graphsvc/queries/" + p.relative_to(cypher).as_posix()
        for p in cypher.rglob("*")
        if p.is_file()
    }
    assert expected <= names, sorted(expected - names)
    # The procedures' sources, which `graphsvc neo4j start` builds (not their build output).
    java = REPO_ROOT / "procedures"
    sources = {
        "graphsvc/procedures_src/" + p.relative_to(java).as_posix()
        for p in [java / "pom.xml", *(java / "src").rglob("*.java")]
    }
    assert sources <= names, sorted(sources - names)
    # pyproject.toml lists the packages (the cypher/ mapping rules out auto-discovery): none left out.
    modules = {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "graphsvc").rglob("*.py")}
    assert modules <= names, sorted(modules - names)

    # Installed as pip would (unpacked onto the path, run from elsewhere, no env var): it loads
    # a query and the schema from inside the package.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {k: v for k, v in os.environ.items() if k != "GRAPHSVC_CYPHER_DIR"}
    env["PYTHONPATH"] = str(site)
    probe = (
        "from graphsvc import cypher\n"
        "print(cypher.cypher_dir())\n"
        "print(cypher.load('record_get').splitlines()[0])\n"
        "print(len(cypher.schema_statements()))\n"
        "from graphsvc import procedures\n"
        "print(procedures.SOURCES)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    where, first_line, statements, java_sources = done.stdout.splitlines()
    assert Path(java_sources) == site / "graphsvc" / "procedures_src"
    assert Path(where) == site / "graphsvc" / "queries"
    assert first_line == (cypher / "service" / "record_get.cypher").read_text().splitlines()[0]
    assert int(statements) > 0
