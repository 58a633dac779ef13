"""How the transform runs a warehouse's steps: a step that fails skips the builds after it."""

from pipelines.runs.transform import TransformResult, _node_error, run_steps
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


def test_a_python_models_failure_is_named_by_the_exception_that_caused_it() -> None:
    message = (
        "Runtime Error in model int_contact_pairs (models/intermediate/int_contact_pairs.py)\n"
        "  Python model failed:\n"
        "  Traceback (most recent call last):\n"
        '    File "splink/internals/database_api.py", line 107, in _log_and_run_sql\n'
        "  _duckdb.OutOfMemoryException: Out of Memory Error: failed to allocate 4.0 MiB\n"
        "  \n"
        "  The above exception was the direct cause of the following exception:\n"
        "  splink.internals.exceptions.SplinkException: Error executing the following sql\n"
    )

    assert _node_error(message) == (
        "Runtime Error: Python model failed: OutOfMemoryException: Out of Memory Error: "
        "failed to allocate 4.0 MiB"
    )


def test_a_database_error_keeps_the_cause_on_its_second_line() -> None:
    message = 'Database Error in model stg_x (models/stg_x.sql)\n  column "x" does not exist\n'

    assert _node_error(message) == 'Database Error: column "x" does not exist'
