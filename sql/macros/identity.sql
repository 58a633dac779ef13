{#
    The evidence and blocking keys of identity linking (int_contacts_linkage_evidence), and
    how `people` picks one contact's value for a person.
#}

{% macro folded(column) -%}
    {#-
        Lowercased and in plain Latin letters where there are such: accents stripped, and
        the letters that are not accented ones folded by hand ('ø', 'ł', 'ı', 'ß', 'æ'), as
        people write them in an email address.
    -#}
    replace(replace(
        translate(lower({{ without_accents(column) }}), 'øłđıðþ', 'oldidt'),
        'ß', 'ss'), 'æ', 'ae')
{%- endmacro %}


{% macro name_for_matching(column) -%}
    {#-
        A name as compared for linking: folded, and only its letters kept, so that
        'Jean-Luc', ' jean luc' and 'JEAN LUC' are one name; null when no letter is left.
        Letters of every script count, so '李' stays '李'.
    -#}
    nullif(regexp_replace({{ folded(column) }}, '[^{{ letters() }}]+', '', 'g'), '')
{%- endmacro %}


{% macro text_for_matching(column) -%}
    {#- Folded, with each run of anything but letters and digits one space. -#}
    nullif(trim(regexp_replace({{ folded(column) }}, '[^{{ letters() }}{{ digits() }}]+', ' ', 'g')), '')
{%- endmacro %}


{% macro capped_block_key(expression) -%}
    {#-
        The blocking key, or null when more contacts than the var `identity_max_block_size`
        share it: every pair in a block is scored, so one key shared by n contacts costs
        n²/2 comparisons. Such a common value is weak evidence anyway.
    -#}
    case
        when count(*) over (partition by {{ expression }}) <= {{ var('identity_max_block_size') }}
            then {{ expression }}
    end
{%- endmacro %}


{% macro surviving(column, value=none, rank='survivor_rank') -%}
    {#-
        In a query grouped by person: the value of `column` (or of the expression `value`)
        from the person's best contact that has one, by `rank` (`survivor_rank()`).
        `surviving_source` with the same arguments names the contact.
    -#}
    {{ value_of_lowest(value or column, rank, column ~ ' is not null') }}
{%- endmacro %}


{% macro surviving_source(column, rank='survivor_rank') -%}
    {#- The contact_key of the contact that `surviving(column, rank=...)` chose. -#}
    {{ value_of_lowest('contact_key', rank, column ~ ' is not null') }}
{%- endmacro %}


{% macro survivor_rank(first_by=none) -%}
    {#-
        Window: each contact's rank within its person, the best first. Live contacts come
        before deleted ones, then the most recently updated (unknown last), then the lowest
        contact_key, so that every run picks the same; `first_by`, an ascending sort
        expression, comes before all of those.
    -#}
    row_number() over (
        partition by person_key
        order by {% if first_by %}{{ first_by }} asc, {% endif -%}
        is_deleted asc, updated_at desc nulls last, contact_key asc
    )
{%- endmacro %}


{% macro evidence_text(comparisons, keep, order) -%}
    {#-
        In person_links: the comparisons of a pair that pass `keep` (a condition on `item`,
        which has a weight and a text), as 'email exact +12.1, last_name exact +8.3' sorted
        by weight in `order` ('DESC' or 'ASC'), then by text in the same order; null when
        none passes.
    -#}
    {{ return(adapter.dispatch('evidence_text')(comparisons, keep, order)) }}
{%- endmacro %}

{% macro duckdb__evidence_text(comparisons, keep, order) -%}
    {#- list_sort orders the structs by weight, then text. -#}
    nullif(array_to_string(
        list_transform(
            list_sort(
                list_filter([
                    {%- for name in comparisons %}
                    {weight: {{ name }}_weight, text: '{{ name }} ' || {{ name }}_level}
                    {{- ',' if not loop.last }}
                    {%- endfor %}
                ], lambda item: {{ keep }}),
                '{{ order }}'
            ),
            lambda item: item.text || ' ' || printf('%+.1f', item.weight)
        ),
        ', '
    ), '')
{%- endmacro %}

{% macro postgres__evidence_text(comparisons, keep, order) -%}
    {#- to_char's 'S' is the sign, always written as printf's '%+.1f' writes it, and 'FM' drops
        the padding. -#}
    (
        select string_agg(
            item.text || ' ' || to_char(item.weight, 'FMS999999990.0'),
            ', '
            order by item.weight {{ order }}, item.text {{ order }}
        )
        from (values
            {%- for name in comparisons %}
            ({{ name }}_weight, '{{ name }} ' || {{ name }}_level)
            {{- ',' if not loop.last }}
            {%- endfor %}
        ) as item (weight, text)
        where {{ keep }}
    )
{%- endmacro %}
