"""The deployer's three verbs for one environment: validate (no Azure), plan (reads Azure), apply (writes).

    deployer = Deployer(load_settings("test"))                       # endpoint and credential from the environment
    deployer = Deployer(settings, endpoint=fake.endpoint, credential=fake.credential)   # tests, bench
    release = deployer.validate()          # Release with problems; nothing sent
    plan = deployer.plan(Selection.parse(["pipeline:pl_*"]))
    plan, outcome = deployer.apply(plan=plan)

Plan and apply validate first and raise InvalidReleaseError (exit 2) before any request when the release has
problems, so a missing setting or an unmatched override can never reach the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.credentials import TokenCredential

from deploy.apply import Outcome, Report, apply_plan
from deploy.constants import DEFAULT_PARALLEL
from deploy.endpoint import Endpoint
from deploy.environment import Release, prepare
from deploy.filters import Selection
from deploy.live import read_live
from deploy.plan import Plan, build_plan
from deploy.validate import POOLS, WORKSPACE, Finding, Severity, validate
from retail.settings import Settings


class InvalidReleaseError(ValueError):
    """The release must not be deployed; every problem is listed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Validation:
    release: Release
    findings: list[Finding]  # the workspace validator's, warnings included

    @property
    def problems(self) -> list[str]:
        errors = [f"workspace/{finding}" for finding in self.findings if finding.severity is Severity.ERROR]
        return errors + self.release.problems

    @property
    def ok(self) -> bool:
        return not self.problems


class Deployer:
    def __init__(self, settings: Settings, *, root: Path = WORKSPACE, pools: Path = POOLS,
                 endpoint: str | None = None, credential: TokenCredential | None = None,
                 parallel: int | None = None, poll_interval: float | None = None,
                 source_settings: Settings | None = None, check_workspace: bool = True,
                 **endpoint_options: Any) -> None:
        """`endpoint` and `credential` default to the environment's workspace and DefaultAzureCredential;
        `endpoint_options` go to `Endpoint` (retry and timeout knobs, SDK client options)."""
        self.settings, self.root, self.pools = settings, Path(root), Path(pools)
        self.source_settings, self.check_workspace = source_settings, check_workspace
        self.parallel = parallel or settings.deploy.parallel or DEFAULT_PARALLEL
        self.poll_interval = poll_interval or settings.deploy.poll_interval_seconds
        self._url, self._credential, self._options = endpoint, credential, endpoint_options
        self._endpoint: Endpoint | None = None

    # -- validate ---------------------------------------------------------------------------------------------------
    def validate(self) -> Validation:
        """Everything that can be checked without Azure: the workspace files (the validator's rules) and the
        environment (settings, overrides, leftover dev values)."""
        release = prepare(self.settings, self.root, self.source_settings)
        findings = validate(self.root, self.pools) if self.check_workspace else []
        return Validation(release, findings)

    def release(self) -> Release:
        """The validated release; raises InvalidReleaseError with every problem."""
        validation = self.validate()
        if not validation.ok:
            raise InvalidReleaseError(validation.problems)
        return validation.release

    # -- plan and apply -----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._url:
            return self._url
        return prepare_url(self.settings)

    def endpoint(self) -> Endpoint:
        """The data-plane client, made on first use (validate never needs one)."""
        if self._endpoint is None:
            credential = self._credential
            if credential is None:
                from azure.identity import DefaultAzureCredential

                credential = DefaultAzureCredential()
            self._endpoint = Endpoint(self.url, credential, poll_interval=self.poll_interval, **self._options)
        return self._endpoint

    def plan(self, selection: Selection | None = None, delete_orphans: bool = False,
             release: Release | None = None) -> Plan:
        release = release or self.release()
        live = read_live(self.endpoint(), self.parallel)
        return build_plan(release, live, self.url, selection, delete_orphans)

    def apply(self, selection: Selection | None = None, delete_orphans: bool = False, *, plan: Plan | None = None,
              report: Report | None = None) -> tuple[Plan, Outcome]:
        """Plan (unless given) and carry it out. A plan with problems raises InvalidReleaseError, nothing written."""
        plan = plan or self.plan(selection, delete_orphans)
        if plan.problems:
            raise InvalidReleaseError(plan.problems)
        if not plan.has_work:
            return plan, Outcome()
        kwargs = {"report": report} if report else {}
        return plan, apply_plan(plan, self.endpoint(), self.parallel, **kwargs)

    def close(self) -> None:
        if self._endpoint is not None:
            self._endpoint.close()
            self._endpoint = None

    def __enter__(self) -> Deployer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def prepare_url(settings: Settings) -> str:
    if settings.synapse is None:
        raise InvalidReleaseError([f"environment {settings.name}: synapse: not set (no workspace to deploy to)"])
    return settings.synapse.dev_endpoint
