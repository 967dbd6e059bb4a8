"""graphsvc's own Neo4j procedures (`procedures/`, Java): built with Maven from Maven Central into
the cache, once per version of their sources, and copied into a server's plugins folder.

The build runs in a copy of the sources under `<cache>/procedures-<hash>/` (the hash of every
source file), so a checkout gets no `target/` and an unchanged source tree is never rebuilt.
"""

import hashlib
import shutil
import subprocess
from pathlib import Path

from graphsvc.config import REPO_ROOT
from graphsvc.maven import MavenError

JAR = "graphsvc-procedures.jar"
# In an installed wheel inside the package (pyproject.toml maps procedures/ to
# graphsvc/procedures_src/), in a checkout at the top of the repository.
_PACKAGED = Path(__file__).resolve().parent / "procedures_src"
SOURCES = _PACKAGED if _PACKAGED.is_dir() else REPO_ROOT / "procedures"


def _source_files(sources: Path) -> list[Path]:
    return sorted([sources / "pom.xml", *(sources / "src").rglob("*.java")])


def source_hash(sources: Path = SOURCES) -> str:
    digest = hashlib.sha256()
    for path in _source_files(sources):
        digest.update(path.relative_to(sources).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build(cache_dir: Path, sources: Path = SOURCES) -> Path:
    """The procedures' jar, built with `mvn package` unless this version of the sources was."""
    work = cache_dir / f"procedures-{source_hash(sources)}"
    jar = work / "target" / JAR
    if jar.exists():
        return jar
    mvn = shutil.which("mvn")
    if not mvn:
        raise MavenError(
            "Maven (`mvn`) is required to build graphsvc's Neo4j procedures; install it "
            "(e.g. apt-get install maven)"
        )
    shutil.rmtree(work, ignore_errors=True)
    for path in _source_files(sources):
        target = work / path.relative_to(sources)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    result = subprocess.run([mvn, "-q", "-B", "package"], cwd=work, capture_output=True, text=True)
    if result.returncode != 0 or not jar.exists():
        (work / "mvn.log").write_text(result.stdout + result.stderr)
        raise MavenError(f"Maven could not build graphsvc's procedures; see {work / 'mvn.log'}")
    return jar


def install(cache_dir: Path, plugins: Path) -> None:
    """The built jar into a server's plugins folder (read when the server starts)."""
    jar = build(cache_dir)
    plugins.mkdir(parents=True, exist_ok=True)
    installed = plugins / JAR
    if not installed.exists() or installed.read_bytes() != jar.read_bytes():
        shutil.copy2(jar, installed)
