"""Jars from Maven Central, resolved once per version into the cache with `mvn
dependency:copy-dependencies`: the local Neo4j server's runtime classpath and the APOC plugin."""

import re
import shutil
import subprocess
from pathlib import Path


class MavenError(Exception):
    """Maven is missing or could not resolve the artifacts (the message says what to do)."""


NEO4J_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>graphsvc.local</groupId><artifactId>neo4j-community-classpath</artifactId>
  <version>{version}</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.neo4j</groupId><artifactId>neo4j</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.neo4j.app</groupId><artifactId>neo4j-server</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.neo4j</groupId><artifactId>neo4j-import-tool</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.neo4j.client</groupId><artifactId>neo4j-browser</artifactId>
      <version>{browser}</version></dependency>
  </dependencies>
</project>
"""


def resolve(work: Path, pom: str, out: Path, version: str, what: str, missing: str) -> None:
    """The runtime dependencies of `pom` into `out`, unless `work` holds a complete resolution;
    `what` names them in the error, `missing` is the error when there is no Maven."""
    if (work / "complete").exists():
        return
    mvn = shutil.which("mvn")
    if not mvn:
        raise MavenError(missing)
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out, ignore_errors=True)
    (work / "pom.xml").write_text(pom)
    result = subprocess.run(
        [mvn, "-q", "-B", "dependency:copy-dependencies", "-DincludeScope=runtime",
         f"-DoutputDirectory={out}"],
        cwd=work, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        (work / "mvn.log").write_text(result.stdout + result.stderr)
        raise MavenError(f"Maven could not resolve {what}; see {work / 'mvn.log'}")
    (work / "complete").write_text(version)


def neo4j_classpath(lib: Path, version: str, browser_version: str) -> None:
    """Neo4j Community's server, import tool and Browser into `lib` (its parent is the work
    folder)."""
    missing = (
        "Maven (`mvn`) is required to fetch Neo4j from Maven Central the "
        "first time; install it (e.g. apt-get install maven)"
    )
    pom = NEO4J_POM.format(version=version, browser=browser_version)
    resolve(lib.parent, pom, lib, version, f"Neo4j {version}", missing)


# APOC Core, Neo4j's own procedure library (org.neo4j.procedure:apoc-core on Maven Central, with
# apoc-common, which holds its result classes and is not among its declared dependencies): the
# traversals use its breadth-first expanders where no property filter applies (graph/traversals.py).
APOC_VERSION = "5.26.19"
APOC_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>graphsvc.local</groupId><artifactId>apoc-core-plugin</artifactId>
  <version>{version}</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.neo4j.procedure</groupId><artifactId>apoc-core</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.neo4j.procedure</groupId><artifactId>apoc-common</artifactId>
      <version>{version}</version></dependency>
  </dependencies>
</project>
"""


def install_apoc(cache_dir: Path, plugins: Path, lib: Path, version: str = APOC_VERSION) -> None:
    """APOC Core and its runtime libraries into the instance's plugins folder, resolved from
    Maven Central into the cache once (like the server's own jars); a no-op when present. A
    library the server already ships (commons-lang3, commons-text: newer there) is not copied."""
    work = cache_dir / f"apoc-{version}"
    jars = work / "plugins"
    pom = APOC_POM.format(version=version)
    missing = "Maven (`mvn`) is required to fetch APOC from Maven Central"
    resolve(work, pom, jars, version, f"APOC {version}", missing)
    plugins.mkdir(parents=True, exist_ok=True)
    for old in [*plugins.glob("apoc-core-*.jar"), *plugins.glob("apoc-common-*.jar")]:
        if not old.name.endswith(f"-{version}.jar"):
            old.unlink()
    shipped = {_artifact(jar.name) for jar in lib.glob("*.jar")}
    for jar in jars.glob("*.jar"):
        if _artifact(jar.name) not in shipped and not (plugins / jar.name).exists():
            shutil.copy2(jar, plugins / jar.name)


def _artifact(jar_name: str) -> str:
    """`commons-lang3-3.12.0.jar` -> `commons-lang3`."""
    return re.sub(r"-\d[^-]*(-[A-Za-z0-9.]+)?\.jar$", "", jar_name)
