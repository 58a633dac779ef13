"""The Fellegi-Sunter model that scores pairs of contacts as one person, with Splink."""

# The evidence, the nightly estimation without labels and the blocking: docs/identity.md.

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

# Splink logs each training step at INFO, and warns about models it considers untrained; a
# night is quiet unless something fails.
_SPLINK_LOG_LEVEL = logging.ERROR

# The blocking-key columns: a pair that shares any key is scored. Keys of values shared by
# too many contacts are null (see int_contacts_linkage_evidence), so no
# block grows with the square of the data.
BLOCKING_KEYS = (
    "email_block",
    "linkedin_block",
    "phone_block",
    "name_block",
    "last_name_employer_block",
    "first_name_employer_block",
    "email_local_block",
)

# Pairs that meet across two kinds of key: a name and an address that spells it
# ('Holly Feast' and 'holly.feast@' under another name), and one contact's first name with
# the other's last name at one employer (swapped names with a typo). Splink orders each pair
# by contact_key, so each rule comes in both directions.
_CROSS_KEY_PAIRS = (
    ("name_block", "address_name_block"),
    ("first_name_employer_block", "last_name_employer_block"),
)
_CROSS_KEYS = frozenset(key for pair in _CROSS_KEY_PAIRS for key in pair)
CROSS_BLOCKING_RULES = tuple(
    f"l.{one} = r.{other}" for pair in _CROSS_KEY_PAIRS for one, other in (pair, pair[::-1])
)


# The blocks that expectation maximisation trains on. Splink estimates in each the
# comparisons that do not read its columns, so each blocks on the very columns its
# comparisons compare: pairs of one name tell what email, phone and employer look like for
# one person, and pairs of one email what names look like. (Blocking on name_block, a
# column no comparison reads, would have each session "learn" that its own evidence always
# agrees.)
TRAINING_BLOCKS = (("first_name_std", "last_name_std"), ("email_std",))


@dataclass(frozen=True)
class LinkingConfig:
    """The settings of one night's model; the first three are dbt vars (IdentitySettings).

    Attributes:
        review_match_probability: Pairs at or above this probability are returned; which of
            them are links is for the clustering to decide.
        u_sample_pairs: Random pairs drawn to estimate the u-probabilities.
        seed: Seed of that draw, so that the same contacts give the same model.
        prior_recall: The share of true pairs that share an email or a LinkedIn handle,
            which sets the prior that two random contacts are one person.
        min_training_contacts: Below this many contacts nothing is estimated and the model
            links on its starting probabilities.
        min_training_pairs: A training block with fewer pairs keeps the starting m.
        min_m_probability: The least m-probability a level keeps after training.
        em_max_pairs: At most about this many pairs per EM session, sampled: a training
            block is uncapped, and 312k contacts with common names gave 17M pairs of one name.
    """

    review_match_probability: float = 0.5
    u_sample_pairs: int = 1_000_000
    seed: int = 42
    prior_recall: float = 0.7
    min_training_contacts: int = 1_000
    min_training_pairs: int = 500
    min_m_probability: float = 0.01
    em_max_pairs: int = 1_000_000


PAIR_SCHEMA_PREFIX = pa.schema(
    [
        ("contact_key_l", pa.string()),
        ("contact_key_r", pa.string()),
        ("match_weight", pa.float64()),
        ("match_probability", pa.float64()),
    ]
)


# The m- and u-probabilities a level starts from, (m, u): how often the two contacts of one
# person reach it, and how often two different people do. Training replaces them where the
# night's contacts are enough to estimate them (see _estimate); with a handful of contacts
# (a first night, a test) the model links on these alone. They are judgement, written down:
# a work email in common is near proof, a title in common is a hint.
STARTING_PROBABILITIES: dict[str, dict[str, tuple[float, float]]] = {
    "first_name": {
        "exact": (0.80, 0.01),
        "nickname": (0.04, 0.001),
        "swapped": (0.01, 0.0001),
        "typo": (0.07, 0.005),
        "swapped with typo": (0.005, 0.0001),
        "in address": (0.02, 0.0005),
        "similar": (0.03, 0.03),
        "same initial": (0.02, 0.05),
        "different": (0.02, 0.9034),
    },
    "last_name": {
        "exact": (0.85, 0.003),
        "swapped": (0.01, 0.0001),
        "typo": (0.07, 0.003),
        "swapped with typo": (0.005, 0.0001),
        "in address": (0.02, 0.0003),
        "similar": (0.03, 0.02),
        "different": (0.02, 0.9736),
    },
    "email": {"exact": (0.45, 0.00005), "different": (0.55, 0.99995)},
    "linkedin": {"exact": (0.60, 0.00001), "different": (0.40, 0.99999)},
    "phone": {"exact": (0.60, 0.0005), "different": (0.40, 0.9995)},
    "employer": {
        "same domain": (0.55, 0.02),
        "same company": (0.15, 0.01),
        "company matches domain": (0.15, 0.01),
        "different": (0.15, 0.96),
    },
    "title": {"exact": (0.50, 0.10), "different": (0.50, 0.90)},
    "department": {"exact": (0.60, 0.15), "different": (0.40, 0.85)},
}


def _comparisons() -> list[Any]:
    # Imported here: dbt imports this module while it parses the project.
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def comparison(name: str, null: str | Any, levels: list[tuple[str, Any, str | None]]) -> Any:
        configured = [cll.NullLevel(null) if isinstance(null, str) else null]
        for label, level, tf_column in levels:
            m, u = STARTING_PROBABILITIES[name][label]
            level.configure(label_for_charts=label, m_probability=m, u_probability=u)
            if tf_column is not None:
                level.configure(tf_adjustment_column=tf_column)
            configured.append(level)
        return cl.CustomComparison(configured, output_column_name=name)

    def one_typo(this: str, that: str) -> str:
        # Jaro-Winkler of 0.92 or more, or one edit or one swap of neighbours apart ('lim'
        # and 'lmi', which Jaro-Winkler misses in short names). Written as a CASE so that the
        # Damerau-Levenshtein distance, five times the cost of the others, is computed only
        # where nothing cheaper decides: estimating u scores 1M random pairs a night.
        return (
            f"case when jaro_winkler_similarity({this}, {that}) >= 0.92 then true"
            f" when abs(length({this}) - length({that})) > 1 then false"
            f" when levenshtein({this}, {that}) <= 1 then true"
            f" when length({this}) = length({that}) and levenshtein({this}, {that}) = 2"
            f" then damerau_levenshtein({this}, {that}) <= 1"
            " else false end"
        )

    def swapped_with_typo(column: str, other: str) -> str:
        # This name is the other contact's other name with a typo, in four letters or more.
        this, that = f'"{column}_l"', f'"{other}_r"'
        return f"length({this}) >= 4 and {one_typo(this, that)}"

    def in_address(column: str, other: str) -> str:
        # The other contact's email or LinkedIn handle spells this name: as one of its
        # words ('holly.feast'), or run together with that contact's other name
        # ('hollyfeast'), though neither of its name fields says it (which the exact and
        # swapped levels count already).
        conditions = []
        for this, that in (("l", "r"), ("r", "l")):
            name, other_name = f'"{column}_{this}"', f'"{other}_{that}"'
            letters = f'"address_letters_{that}"'
            spelled = " or ".join(
                [
                    f'list_contains("address_words_{that}", {name})',
                    f"contains({letters}, '|' || {name} || {other_name} || '|')",
                    f"contains({letters}, '|' || {other_name} || {name} || '|')",
                ]
            )
            not_its_own = (
                f"{name} <> coalesce(\"{column}_{that}\", '')"
                f" and {name} <> coalesce({other_name}, '')"
            )
            conditions.append(f"(({spelled}) and {not_its_own})")
        return " or ".join(conditions)

    def name_levels(column: str, other: str, canonical: str | None) -> list[Any]:
        levels = [("exact", cll.ExactMatchLevel(column), column)]
        if canonical is not None:
            levels.append(("nickname", cll.ExactMatchLevel(canonical), None))
        levels += [
            # First and last name swapped: both comparisons reach this level.
            ("swapped", cll.CustomLevel(f'"{column}_l" = "{other}_r"'), None),
            ("typo", cll.CustomLevel(one_typo(f'"{column}_l"', f'"{column}_r"')), None),
            ("swapped with typo", cll.CustomLevel(swapped_with_typo(column, other)), None),
            ("in address", cll.CustomLevel(in_address(column, other)), None),
            ("similar", cll.JaroWinklerLevel(column, 0.80), None),
        ]
        if canonical is not None:
            # `J.` against `James`.
            initial = f'left("{column}_l", 1) = left("{column}_r", 1)'
            levels.append(("same initial", cll.CustomLevel(initial), None))
        return [*levels, ("different", cll.ElseLevel(), None)]

    def exact(name: str, column: str, *, term_frequencies: bool = False) -> Any:
        levels = [
            ("exact", cll.ExactMatchLevel(column), column if term_frequencies else None),
            ("different", cll.ElseLevel(), None),
        ]
        return comparison(name, column, levels)

    # Neither a domain nor a company name on one side: nothing to compare.
    no_employer = " or ".join(
        f'("work_domain_{side}" is null and "company_squashed_{side}" is null)'
        for side in ("l", "r")
    )
    # A firm's domain is often its name shortened: 'acme' for 'Acme Holdings'.
    company_matches_domain = " or ".join(
        f'(length("domain_label_{one}") >= 4'
        f' and starts_with("company_squashed_{other}", "domain_label_{one}"))'
        for one, other in (("l", "r"), ("r", "l"))
    )
    employer_levels = [
        ("same domain", cll.ExactMatchLevel("work_domain"), "work_domain"),
        ("same company", cll.ExactMatchLevel("company_squashed"), "company_squashed"),
        ("company matches domain", cll.CustomLevel(company_matches_domain), None),
        ("different", cll.ElseLevel(), None),
    ]
    return [
        comparison(
            "first_name",
            "first_name_std",
            name_levels("first_name_std", "last_name_std", "first_name_canonical"),
        ),
        comparison(
            "last_name", "last_name_std", name_levels("last_name_std", "first_name_std", None)
        ),
        # Only an exact email: a similar address at one firm is usually a colleague, and the
        # same username at two domains is the name again, which the names already count.
        exact("email", "email_std"),
        comparison(
            "employer",
            cll.CustomLevel(no_employer).configure(is_null_level=True),
            employer_levels,
        ),
        exact("linkedin", "linkedin_handle"),
        # With term frequencies: a switchboard's number, shared by a firm, is weak evidence.
        exact("phone", "phone_e164", term_frequencies=True),
        exact("title", "title_std", term_frequencies=True),
        exact("department", "department_std", term_frequencies=True),
    ]


# The comparisons, in the order of the columns of `pair_schema()`.
COMPARISON_NAMES = tuple(STARTING_PROBABILITIES)


def pair_schema() -> pa.Schema:
    """The columns `score_pairs` returns: the pair, its score, then per comparison the level
    it reached (`<name>_level`) and the match weight of that level (`<name>_weight`)."""
    fields = list(PAIR_SCHEMA_PREFIX)
    for name in COMPARISON_NAMES:
        fields += [pa.field(f"{name}_level", pa.string()), pa.field(f"{name}_weight", pa.float64())]
    return pa.schema(fields)


def score_pairs(contacts: pa.Table, config: LinkingConfig) -> pa.Table:
    """Returns every pair of contacts that the model scores at or above the review
    threshold, with the evidence behind its score: `score_pairs_in_database` on an Arrow
    table, in a DuckDB of its own, for the few contacts of an evaluation.

    Args:
        contacts: One row per contact: `contact_key`, the evidence columns and the blocking
            keys of int_contacts_linkage_evidence.
        config: The night's settings.

    Returns:
        A table of `pair_schema()`; `contact_key_l` < `contact_key_r` in every row.
    """
    with duckdb.connect() as connection:
        connection.register("__contacts_in", contacts)
        score_pairs_in_database(connection, "select * from __contacts_in", "__pairs", config)
        return connection.sql("select * from __pairs").to_arrow_table().cast(pair_schema())


def score_pairs_in_database(
    connection: duckdb.DuckDBPyConnection, contacts: str, output: str, config: LinkingConfig
) -> None:
    """Writes the table `output`: every pair of contacts that the model scores at or above the
    review threshold, with the evidence behind its score, in the order of `pair_schema()`.

    Splink runs in `connection` itself, on the contacts where they are, so that its memory is
    the connection's `memory_limit`, spilling past it, whatever the number of contacts.

    Args:
        connection: a DuckDB connection.
        contacts: a query of one row per contact: `contact_key`, the evidence columns and the
            blocking keys of int_contacts_linkage_evidence.
        output: the table to write; `contact_key_l` < `contact_key_r` in every row.
        config: The night's settings.
    """
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    connection.execute(
        "create or replace temp view __splink_contacts as "
        f"select * rename (contact_key as unique_id) from ({contacts})"
    )
    [(n_contacts,)] = connection.execute("select count(*) from __splink_contacts").fetchall()
    if n_contacts < 2:
        connection.execute(f"create or replace table {output} ({_pair_columns_sql()})")
        connection.execute("drop view __splink_contacts")
        return
    db_api = DuckDBAPI(connection=connection)
    try:
        splink_input = db_api.register("__splink_contacts", table_name="contacts")
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=_comparisons(),
            blocking_rules_to_generate_predictions=[
                *(block_on(key) for key in BLOCKING_KEYS),
                *CROSS_BLOCKING_RULES,
            ],
            # Until training estimates it: about one other contact per person.
            probability_two_random_records_match=1 / n_contacts,
            # Splink keeps the levels (gamma_*) only with the matching columns.
            retain_matching_columns=True,
            retain_intermediate_calculation_columns=True,
        )
        linker = Linker(splink_input, settings, log_level=_SPLINK_LOG_LEVEL)
        _estimate(linker, connection, n_contacts, config)
        model = _with_m_floor(linker.misc.save_model_to_json(), config.min_m_probability)
        linker = Linker(splink_input, model, log_level=_SPLINK_LOG_LEVEL)
        _block_rule_by_rule(connection, _BLOCKED_PAIRS)
        linker.table_management.register_blocked_pairs_for_predict(
            db_api.register(_BLOCKED_PAIRS, table_name="blocked_pairs")
        )
        predictions = linker.inference.predict(
            threshold_match_probability=config.review_match_probability, warning_mode="never"
        )
        _write_evidence(connection, predictions.physical_name, _level_labels(model), output)
    finally:
        db_api.delete_tables_created_by_splink_from_db()
        connection.execute("drop view if exists __splink_contacts")
        connection.execute(f"drop table if exists {_BLOCKED_PAIRS}")
        connection.execute(f"drop table if exists {_BLOCKING_KEYS}")


_BLOCKED_PAIRS = "__contacts_blocked_pairs"
_BLOCKING_KEYS = "__contacts_blocking_keys"


def _block_rule_by_rule(connection: duckdb.DuckDBPyConnection, output: str) -> None:
    """Writes the pairs that the blocking rules make, as Splink's predict reads them, one
    rule at a time: `match_key` (the rule's index), `join_key_l` < `join_key_r`.

    Splink computes them in one statement, a union of a self-join per rule, and DuckDB holds
    the hash tables of every join at once: at 80k contacts per API that statement alone ran
    out of 244 MB. One statement per rule holds one join's, which spills past the limit. A
    pair is written by the first rule it meets, as Splink does.
    """
    keys = sorted({*BLOCKING_KEYS, *_CROSS_KEYS})
    connection.execute(
        f"create or replace temp table {_BLOCKING_KEYS} as "
        f"select unique_id, {', '.join(keys)} from __splink_contacts"
    )
    connection.execute(
        f"create or replace temp table {output} "
        "(match_key varchar, join_key_l varchar, join_key_r varchar)"
    )
    rules = [f"l.{key} = r.{key}" for key in BLOCKING_KEYS] + list(CROSS_BLOCKING_RULES)
    for index, rule in enumerate(rules):
        earlier = " or ".join(f"coalesce({earlier}, false)" for earlier in rules[:index])
        connection.execute(
            f"insert into {output} "
            f"select '{index}', l.unique_id, r.unique_id "
            f"from {_BLOCKING_KEYS} as l join {_BLOCKING_KEYS} as r on {rule} "
            "where l.unique_id < r.unique_id" + (f" and not ({earlier})" if earlier else "")
        )


def _pair_columns_sql() -> str:
    types = {pa.string(): "varchar", pa.float64(): "double"}
    return ", ".join(f"{field.name} {types[field.type]}" for field in pair_schema())


def _estimate(
    linker: Any, connection: duckdb.DuckDBPyConnection, n_contacts: int, config: LinkingConfig
) -> None:
    from splink import block_on

    if n_contacts < config.min_training_contacts:
        return
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("email_block"), block_on("linkedin_block")], recall=config.prior_recall
    )
    training.estimate_u_using_random_sampling(max_pairs=config.u_sample_pairs, seed=config.seed)
    # One EM session per block of TRAINING_BLOCKS; a block with too few pairs to learn from
    # keeps the starting m.
    for columns in TRAINING_BLOCKS:
        if _pairs_in_block(connection, columns) >= config.min_training_pairs:
            training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns),
                estimate_without_term_frequencies=True,
                max_pairs=config.em_max_pairs,
            )


def _with_m_floor(model: dict[str, Any], floor: float) -> dict[str, Any]:
    # A night's matches may never show some disagreement (in simulated data nobody changes
    # firms), and EM then puts its m near 0: a weight of -30 that no agreement outweighs,
    # so that a person who moved firms but kept their LinkedIn profile would be two. With
    # a floor, no single level is proof against a link.
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and "m_probability" in level:
                level["m_probability"] = max(level["m_probability"], floor)
    return model


def _pairs_in_block(connection: duckdb.DuckDBPyConnection, columns: tuple[str, ...]) -> int:
    not_null = " and ".join(f"{column} is not null" for column in columns)
    return connection.execute(
        f"select coalesce(sum(n * (n - 1) // 2), 0) from ("
        f" select count(*) as n from __splink_contacts where {not_null}"
        f" group by {', '.join(columns)})"
    ).fetchall()[0][0]


def _level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    # Splink numbers a comparison's levels from the most similar down to 0, and -1 for null.
    labels: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        not_null = [level for level in levels if not level.get("is_null_level")]
        by_value = {len(not_null) - 1 - index: level for index, level in enumerate(not_null)}
        labels[comparison["output_column_name"]] = {
            value: level["label_for_charts"] for value, level in by_value.items()
        } | {-1: "missing"}
    return labels


def _write_evidence(
    connection: duckdb.DuckDBPyConnection,
    predictions: str,
    levels: dict[str, dict[int, str]],
    output: str,
) -> None:
    output_columns = {row[0] for row in connection.execute(f"describe {predictions}").fetchall()}
    columns = [
        "least(unique_id_l, unique_id_r) as contact_key_l",
        "greatest(unique_id_l, unique_id_r) as contact_key_r",
        "match_weight",
        "match_probability",
    ]
    for name in COMPARISON_NAMES:
        cases = " ".join(
            f"when {value} then '{label}'" for value, label in sorted(levels[name].items())
        )
        # A level's weight, plus the term-frequency adjustment where it has one: a common
        # surname agreeing counts for less than a rare one.
        tf = f"mw_tf_adj_{name}"
        weight = f"mw_{name}" + (f" + coalesce({tf}, 0)" if tf in output_columns else "")
        columns += [
            f"cast(case gamma_{name} {cases} end as varchar) as {name}_level",
            f"cast({weight} as double) as {name}_weight",
        ]
    connection.execute(
        f"create or replace table {output} as select {', '.join(columns)} from {predictions} "
        "order by contact_key_l, contact_key_r"
    )
