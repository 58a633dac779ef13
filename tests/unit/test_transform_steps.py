"""How the transform runs a warehouse's steps: a step that fails skips the builds after it."""

from pipelines.runs.transform import TransformResult, run_steps
from pipelines.warehouse import DbtBuild, IdentityStep


class Steps:
    """A warehouse as `run_steps` sees it: its transform steps, and nothing else."""

    def __init__(self, *steps: DbtBuild | IdentityStep) -> None:
        self.steps = steps

    def transform_steps(self) -> tuple[DbtBuild | IdentityStep, ...]:
        return self.steps


def test_a_failing_identity_step_is_named_and_skips_the_builds_after_it() -> None:
    ran = []

    def fails() -> None:
        raise ValueError("no contacts table\nwith a second line")

    result = TransformResult(ok=True, seconds=0.0)
    run_steps(
        Steps(
            IdentityStep("normalize_phones", fails),
            DbtBuild("before_linking"),
            IdentityStep("link_people", lambda: ran.append("link_people")),
            DbtBuild("after_linking"),
        ),
        result,
    )

    assert not result.ok
    assert result.failures == ["normalize_phones (identity step): no contacts table"]
    assert result.skipped == ["before_linking (selector)", "after_linking (selector)"]
    assert ran == []


def test_identity_steps_run_in_order_while_they_succeed() -> None:
    ran = []

    result = TransformResult(ok=True, seconds=0.0)
    run_steps(
        Steps(
            IdentityStep("first", lambda: ran.append("first")),
            IdentityStep("second", lambda: ran.append("second")),
        ),
        result,
    )

    assert result.ok
    assert (result.failures, result.skipped) == ([], [])
    assert ran == ["first", "second"]
