import tomllib
from importlib.metadata import version
from pathlib import Path

from retail import versions


def _pins(project_root: Path) -> dict[str, str]:
    deps = tomllib.loads((project_root / "pyproject.toml").read_text())["project"]["dependencies"]
    return {d.split("==")[0]: d.split("==")[1] for d in deps if "==" in d}


def test_pyproject_pins_match_the_synapse_runtime(project_root: Path) -> None:
    pins = _pins(project_root)
    assert pins["pyspark"] == versions.SPARK_VERSION
    assert pins["delta-spark"] == versions.DELTA_VERSION


def test_installed_packages_are_the_pinned_ones() -> None:
    assert version("pyspark") == versions.SPARK_VERSION
    assert version("delta-spark") == versions.DELTA_VERSION


def test_jar_coordinates_follow_the_versions() -> None:
    spark = " ".join(versions.SPARK_PACKAGES)
    assert f"delta-spark_{versions.SCALA_BINARY}:{versions.DELTA_VERSION}" in spark
    assert f"spark-sql-kafka-0-10_{versions.SCALA_BINARY}:{versions.KAFKA_CONNECTOR_VERSION}" in spark
    assert versions.KAFKA_CONNECTOR_VERSION.rsplit(".", 1)[0] == versions.SPARK_VERSION.rsplit(".", 1)[0]
    assert f"kafka_{versions.KAFKA_BROKER_SCALA}:{versions.KAFKA_BROKER_VERSION}" in " ".join(versions.BROKER_PACKAGES)
