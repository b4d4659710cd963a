"""Fetch the JVM jars the local platform needs from Maven Central into the project-local cache.

Two independent jar sets: `spark` (Delta Lake and the Kafka source, added to the local Spark session) and
`broker` (an Apache Kafka broker in KRaft mode, started as its own JVM). Maven resolves the transitive
dependencies; jars pyspark already ships are dropped so the Spark classpath holds one copy of each library.
A stamp file records the coordinates, so a second run with nothing changed does no work.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from retail.paths import cache_dir
from retail.versions import BROKER_PACKAGES, SPARK_PACKAGES

JAR_SETS: dict[str, tuple[str, ...]] = {"spark": SPARK_PACKAGES, "broker": BROKER_PACKAGES}
# name-version.jar, where the version is the last hyphen-part that starts "<digits>." (names hold digits too).
_JAR_NAME = re.compile(r"^(?P<name>.+)-\d+\.[\w.\-]*\.jar$")


class JarFetchError(RuntimeError):
    """Maven could not resolve a jar set; the message carries Maven's own error lines."""


def jar_dir(name: str) -> Path:
    return cache_dir() / "jars" / name


def jars(name: str) -> list[Path]:
    """The cached jars of a set, or an error that says how to fetch them."""
    folder = jar_dir(name)
    found = sorted(folder.glob("*.jar"))
    if not found or not _stamp(folder).exists():
        raise JarFetchError(f"the {name} jars are not in {folder}; run `make setup` (or `retail setup jars`)")
    return found


def _stamp(folder: Path) -> Path:
    return folder / ".coordinates"


def _coordinates_digest(coordinates: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(coordinates).encode()).hexdigest()


def is_current(name: str) -> bool:
    stamp = _stamp(jar_dir(name))
    return stamp.exists() and stamp.read_text().strip() == _coordinates_digest(JAR_SETS[name])


def _pom(coordinates: tuple[str, ...]) -> str:
    deps = []
    for coordinate in coordinates:
        group, artifact, version = coordinate.split(":")
        deps.append(
            f"<dependency><groupId>{escape(group)}</groupId><artifactId>{escape(artifact)}</artifactId>"
            f"<version>{escape(version)}</version></dependency>"
        )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>local.retail</groupId><artifactId>jar-set</artifactId><version>1</version>"
        f"<packaging>pom</packaging><dependencies>{''.join(deps)}</dependencies></project>"
    )


def artifact_name(jar: Path) -> str:
    """`kafka-clients-3.4.1.jar` -> `kafka-clients`: the library a jar carries, whatever its version."""
    match = _JAR_NAME.match(jar.name)
    return match.group("name") if match else jar.name.removesuffix(".jar")


def pyspark_jar_names() -> set[str]:
    import pyspark

    return {artifact_name(j) for j in (Path(pyspark.__file__).parent / "jars").glob("*.jar")}


def fetch(name: str, *, force: bool = False) -> list[Path]:
    """Resolve one jar set with Maven (transitively) into the cache; a no-op when already current."""
    folder = jar_dir(name)
    if is_current(name) and not force:
        return sorted(folder.glob("*.jar"))
    if shutil.which("mvn") is None:
        raise JarFetchError(
            "Maven (`mvn`) is not installed. Install it, or let Spark resolve the packages itself: "
            "set RETAIL_SPARK_JARS=packages (see README, 'Without Maven')."
        )
    coordinates = JAR_SETS[name]
    with tempfile.TemporaryDirectory(prefix=f"retail-jars-{name}-") as tmp:
        staging = Path(tmp) / "out"
        (Path(tmp) / "pom.xml").write_text(_pom(coordinates))
        result = subprocess.run(
            ["mvn", "-B", "-q", "-f", str(Path(tmp) / "pom.xml"), "dependency:copy-dependencies",
             f"-DoutputDirectory={staging}", "-DincludeScope=runtime"],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            errors = [line for line in result.stdout.splitlines() if "ERROR" in line][:5]
            raise JarFetchError(f"Maven could not fetch the {name} jars:\n" + "\n".join(errors))
        provided = pyspark_jar_names() if name == "spark" else set()
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for jar in sorted(staging.glob("*.jar")):
            if artifact_name(jar) not in provided:
                shutil.copy2(jar, folder / jar.name)
    _stamp(folder).write_text(_coordinates_digest(coordinates) + "\n")
    return sorted(folder.glob("*.jar"))
