"""Formula indicators: parsing, printing, evaluation, and checks over a catalogue of formulas."""

from __future__ import annotations

import itertools
import math
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from iocvn.core.errors import Invalid
from iocvn.core.i18n import catalogue, t
from iocvn.indicators.expr import (
    MAX_DEPTH,
    MAX_LENGTH,
    BinOp,
    FormulaError,
    Neg,
    Node,
    Num,
    Ref,
    check_definitions,
    dependency_order,
    evaluate,
    find_cycle,
    parse,
    references,
    to_text,
    unknown_references,
)

CODE_RE = re.compile(r"[A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*")


def num(text: str) -> Num:
    return Num(Decimal(text))


# --- parsing and evaluating by hand ------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1+2)*3", 9.0),
        ("2 - 3 - 4", -5.0),
        ("8 / 4 / 2", 1.0),
        ("2 * 3 - 4 / 2", 4.0),
        ("-2 * 3", -6.0),
        ("2 * -3", -6.0),
        ("2 - -3", 5.0),
        ("--2", 2.0),
        ("+2 + +3", 5.0),
        ("-(1 + 2) * 2", -6.0),
        ("1.5 * 2", 3.0),
        (" \t1\n+\r\n2 ", 3.0),
        ("((((7))))", 7.0),
    ],
)
def test_arithmetic_follows_the_usual_rules(formula: str, expected: float) -> None:
    assert evaluate(parse(formula), {}) == expected


def test_precedence_and_associativity_shape_the_tree() -> None:
    assert parse("1 + 2 * 3") == BinOp("+", num("1"), BinOp("*", num("2"), num("3")))
    assert parse("2 - 3 - 4") == BinOp("-", BinOp("-", num("2"), num("3")), num("4"))
    assert parse("8 / 4 / 2") == BinOp("/", BinOp("/", num("8"), num("4")), num("2"))
    # Unary minus binds tighter than * and /.
    assert parse("-A * 2") == BinOp("*", Neg(Ref("A")), num("2"))
    assert parse("+A") == Ref("A")
    assert parse("--A") == Neg(Neg(Ref("A")))


def test_evaluates_the_province_formulas() -> None:
    rate = parse("100 * DVC.ONTIME / DVC.TOTAL")
    assert evaluate(rate, {"DVC.ONTIME": 45, "DVC.TOTAL": 50}) == 90.0
    balance = parse("(KTXH.EXPORT - KTXH.IMPORT) / 1000")
    assert evaluate(balance, {"KTXH.EXPORT": 12_500.0, "KTXH.IMPORT": 10_000.0}) == 2.5
    assert evaluate(parse("-NS.DEFICIT"), {"NS.DEFICIT": 3.25}) == -3.25
    assert evaluate(parse("-A * 2"), {"A": 3}) == -6.0
    assert evaluate(parse("KTXH.GRDP_GROWTH"), {"KTXH.GRDP_GROWTH": 8.5}) == 8.5
    assert evaluate(parse("0.1 + 0.2"), {}) == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("formula", "values"),
    [
        ("A / B", {"A": 1.0, "B": 0.0}),
        ("A / (B - B)", {"A": 1.0, "B": 7.0}),
        ("1 / 0", {}),
        ("0 / 0", {}),
        ("A + 1", {}),
        ("A + 1", {"A": None}),
        ("1 + A * 0", {"A": None}),
        ("(A / 0) * 0", {"A": 1.0}),
        ("A * A", {"A": 1e200}),
        ("A / B", {"A": 1e300, "B": 1e-300}),
        ("A - A", {"A": math.inf}),
        ("A", {"A": math.nan}),
        ("1" + "0" * 400, {}),
    ],
)
def test_no_value_is_none_never_an_exception_or_inf(
    formula: str, values: dict[str, float | None]
) -> None:
    assert evaluate(parse(formula), values) is None


def test_references_lists_the_codes_used() -> None:
    assert references(parse("100 * DVC.ONTIME / DVC.TOTAL")) == {"DVC.ONTIME", "DVC.TOTAL"}
    assert references(parse("A + A * -A")) == {"A"}
    assert references(parse("1 + 2")) == frozenset()


def test_to_text_is_canonical() -> None:
    assert to_text(parse("((1+2))*(3)")) == "(1 + 2) * 3"
    assert to_text(parse("1 - (2 - 3)")) == "1 - (2 - 3)"
    assert to_text(parse("(1 - 2) - 3")) == "1 - 2 - 3"
    assert to_text(parse("1 + (2 + 3)")) == "1 + (2 + 3)"
    assert to_text(parse("-(-A)")) == "--A"
    assert to_text(parse("-(A * B)")) == "-(A * B)"
    assert to_text(parse("2 * (-A)")) == "2 * -A"
    assert to_text(parse("1.50 + 007")) == "1.5 + 7"


def test_num_holds_only_finite_non_negative_decimals() -> None:
    for bad in ("-1", "-0", "NaN", "Infinity"):
        with pytest.raises(ValueError, match="Num needs"):
            Num(Decimal(bad))


# --- rejected formulas -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "position", "problem"),
    [
        ("__import__('os')", 0, "unexpected_character"),
        ("A ** 2", 3, "expected_operand"),
        ("A(", 1, "expected_operator"),
        ("1 +", 3, "expected_operand"),
        ("a.lower", 0, "lowercase_code"),
        ("A.lower", 2, "lowercase_code"),
        ("DVC.Ontime", 5, "lowercase_code"),
        ("A.+1", 2, "bad_code"),
        ("Abc", 1, "lowercase_code"),
        ("1,5", 1, "decimal_comma"),
        ("1.234,5", 5, "decimal_comma"),
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("(1 + 2", 0, "unclosed_parenthesis"),
        ("1 + 2)", 5, "unmatched_parenthesis"),
        ("()", 1, "expected_operand"),
        ("(1 2)", 3, "expected_operator"),
        ("2 A", 2, "expected_operator"),
        ("1.", 0, "bad_number"),
        ("1.2.3", 3, "unexpected_character"),
        ("1e3", 1, "lowercase_code"),
        ("1E3", 1, "expected_operator"),
        (".5", 0, "unexpected_character"),
        ("A.", 2, "bad_code"),
        ("A % 2", 2, "unexpected_character"),
        ("A ^ 2", 2, "unexpected_character"),
        ("A // 2", 3, "expected_operand"),
        ("A == B", 2, "unexpected_character"),
        ("A; B", 1, "unexpected_character"),
        ("'1'", 0, "unexpected_character"),
        ("[1]", 0, "unexpected_character"),
        ("1_000", 1, "unexpected_character"),
        ("ĐT.TONG", 0, "unexpected_character"),
        ("A.__class__", 4, "lowercase_code"),
        ("lambda: 1", 0, "lowercase_code"),
    ],
)
def test_rejects_with_the_position_of_the_problem(
    formula: str, position: int, problem: str
) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(formula)
    error = caught.value
    assert isinstance(error, Invalid)
    assert (error.code, error.status) == ("invalid_formula", 422)
    assert error.details["formula"] == formula
    assert (error.details["position"], error.details["problem"]) == (position, problem)


def test_rejects_too_long() -> None:
    parse("1" + " + 1" * ((MAX_LENGTH - 1) // 4))
    with pytest.raises(FormulaError) as caught:
        parse("1" + " + 1" * MAX_LENGTH)
    assert caught.value.details["problem"] == "too_long"
    assert len(caught.value.details["formula"]) == MAX_LENGTH


@pytest.mark.parametrize("opening", ["(", "-", "+", "-("])
def test_rejects_too_deep(opening: str) -> None:
    deep = MAX_DEPTH // len(opening)
    closing = ")" * opening.count("(") * deep
    assert evaluate(parse(opening * deep + "1" + closing), {}) is not None
    deeper = deep + 1
    with pytest.raises(FormulaError) as caught:
        parse(opening * deeper + "1" + ")" * opening.count("(") * deeper)
    assert caught.value.details["problem"] == "too_deep"
    assert caught.value.details["position"] == MAX_DEPTH


@pytest.mark.parametrize(
    "formula", ["", "x" * 600, "A(", "1 +", "a", "1,5", "(1", "1)", "1.", "A.b", "%", "((" * 40]
)
def test_every_syntax_error_reads_in_both_languages(formula: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(formula)
    error = caught.value
    for lang in ("vi", "en"):
        text = t(error.message_key, lang, **error.params)
        assert text != error.message_key
        assert "{" not in text


def test_messages_are_registered_for_every_code() -> None:
    keys = catalogue()
    for code in ("invalid_formula", "formula_cycle", "unknown_indicator"):
        vi, en = keys[f"error.{code}"]
        assert vi != en
    assert keys["error.invalid_formula"][0].startswith("Công thức không hợp lệ ở vị trí")


# --- properties over random trees ------------------------------------------------------

CODES = ["A", "B", "DVC.ONTIME", "KTXH.GRDP_GROWTH", "X_1.Y2"]
NUMBERS = ["0", "1", "2", "3", "7", "10", "100", "0.5", "2.5"]  # all exact in binary floats

leaves = st.one_of(st.sampled_from(NUMBERS).map(num), st.sampled_from(CODES).map(Ref))
trees: st.SearchStrategy[Node] = st.recursive(
    leaves,
    lambda kids: st.one_of(
        st.builds(Neg, kids), st.builds(BinOp, st.sampled_from("+-*/"), kids, kids)
    ),
    max_leaves=12,
)
inputs = st.dictionaries(
    st.sampled_from(CODES), st.one_of(st.none(), st.integers(-5, 5)), max_size=len(CODES)
)


def tree_depth(node: Node) -> int:
    if isinstance(node, Neg):
        return 1 + tree_depth(node.operand)
    if isinstance(node, BinOp):
        return 1 + max(tree_depth(node.left), tree_depth(node.right))
    return 0


def printable(node: Node) -> str:
    """The tree's text, skipping trees beyond the parser's limits."""
    assume(tree_depth(node) < MAX_DEPTH)
    text = to_text(node)
    assume(len(text) <= MAX_LENGTH)
    return text


@given(trees)
def test_to_text_parses_back_to_the_same_tree(node: Node) -> None:
    text = printable(node)
    assert parse(text) == node
    assert to_text(parse(text)) == text


@given(trees)
def test_references_are_the_codes_in_the_text(node: Node) -> None:
    assert references(node) == set(CODE_RE.findall(printable(node)))


EPS = 2.0**-52  # twice the unit roundoff of a double, for slack


class Ambiguous(Exception):
    """Float rounding could decide whether a divisor is zero; the case tells nothing."""


def reference(node: Node, values: dict[str, int | None]) -> tuple[Fraction, float] | None:
    """The exact value and a bound on the float evaluation's error; None on a missing input
    or a division by zero anywhere in the tree."""
    if isinstance(node, Num):
        return Fraction(node.value), 0.0
    if isinstance(node, Ref):
        value = values.get(node.code)
        return None if value is None else (Fraction(value), 0.0)
    if isinstance(node, Neg):
        inner = reference(node.operand, values)
        return None if inner is None else (-inner[0], inner[1])
    left, right = reference(node.left, values), reference(node.right, values)
    if left is None or right is None:
        return None
    (a, ea), (b, eb) = left, right
    if node.op in "+-":
        exact = a + b if node.op == "+" else a - b
        spread = ea + eb
    elif node.op == "*":
        exact = a * b
        spread = abs(float(a)) * eb + abs(float(b)) * ea + ea * eb
    else:
        if b == 0 and eb == 0:
            return None
        if eb >= abs(float(b)):
            raise Ambiguous
        exact = a / b
        size = abs(float(b))
        spread = (size * ea + abs(float(a)) * eb) / (size * (size - eb))
    return exact, spread + EPS * (abs(float(exact)) + spread)


@given(trees, inputs)
def test_evaluate_matches_exact_arithmetic(node: Node, values: dict[str, int | None]) -> None:
    try:
        expected = reference(node, values)
    except Ambiguous:
        assume(False)
        raise
    result = evaluate(node, {code: None if v is None else float(v) for code, v in values.items()})
    if expected is None:
        assert result is None
        return
    exact, bound = expected
    assert result is not None
    assert math.isfinite(result)
    assert abs(Fraction(result) - exact) <= Fraction(bound)


@given(st.text(alphabet="0123456789.,+-*/() \tABZ_az%", max_size=40) | st.text(max_size=40))
def test_any_text_parses_or_raises_formula_error(text: str) -> None:
    node: Node | None = None
    details: dict[str, object] = {}
    try:
        node = parse(text)
    except FormulaError as error:
        details = error.details
    if node is None:
        assert isinstance(details["position"], int)
        assert 0 <= details["position"] <= len(text)
        assert details["problem"]
    else:
        assert parse(to_text(node)) == node


# --- a catalogue of formulas -----------------------------------------------------------


def test_find_cycle_by_hand() -> None:
    assert find_cycle({"A": "B + 1", "B": "A * 2", "C": None}) == ["A", "B", "A"]
    assert find_cycle({"A": "A + 1"}) == ["A", "A"]
    assert find_cycle({"C": "A", "A": "B / 2", "B": "100 * C"}) == ["A", "B", "C", "A"]
    assert find_cycle({"A": "B", "B": None}) is None
    assert find_cycle({"A": "Z + Z", "B": "A"}) is None  # unknown codes are not cycles
    assert find_cycle({}) is None


def test_unknown_references() -> None:
    formulas = {"R": "100 * ON / TOT", "ON": None, "S": "R + ON", "T": "X + Y.Z + R"}
    assert unknown_references(formulas) == {"R": {"TOT"}, "T": {"X", "Y.Z"}}
    assert unknown_references({"A": None, "B": "A"}) == {}


def test_check_definitions() -> None:
    check_definitions({"R": "100 * ON / TOT", "ON": None, "TOT": None})

    with pytest.raises(FormulaError) as caught:
        check_definitions({"R": "100 * ON / TOT", "ON": None})
    assert caught.value.code == "unknown_indicator"
    assert caught.value.details == {"code": "R", "unknown": ["TOT"]}
    assert "TOT" in t(caught.value.message_key, "vi", **caught.value.params)

    with pytest.raises(FormulaError) as caught:
        check_definitions({"A": "B", "B": "A", "C": None})
    assert caught.value.code == "formula_cycle"
    assert caught.value.details == {"cycle": ["A", "B", "A"]}
    assert "A → B → A" in t(caught.value.message_key, "en", **caught.value.params)

    with pytest.raises(FormulaError) as caught:
        check_definitions({"A": None, "B": "A +"})
    assert caught.value.code == "invalid_formula"
    assert caught.value.details["code"] == "B"
    assert caught.value.details["position"] == 3


def test_dependency_order_by_hand() -> None:
    formulas = {"R2": "R / 2", "R": "100 * ON / TOT", "ON": None, "TOT": None, "LONE": "7"}
    order = dependency_order(formulas)
    assert sorted(order) == sorted(formulas)
    assert order.index("ON") < order.index("R") < order.index("R2")
    assert order.index("TOT") < order.index("R")
    assert dependency_order({"A": "Z"}) == ["A"]  # unknown codes are left out
    with pytest.raises(FormulaError) as caught:
        dependency_order({"A": "B", "B": "A"})
    assert caught.value.code == "formula_cycle"


def test_a_long_chain_does_not_hit_the_recursion_limit() -> None:
    chain: dict[str, str | None] = {f"C{i}": f"C{i - 1} + 1" for i in range(1, 5000)}
    chain["C0"] = None
    assert dependency_order(chain) == [f"C{i}" for i in range(5000)]
    chain["C0"] = "C4999"
    cycle = find_cycle(chain)
    assert cycle is not None
    assert len(cycle) == 5001


@st.composite
def dags(draw: st.DrawFn) -> dict[str, str | None]:
    """Formulas over codes I0..In where each uses only lower-numbered codes."""
    codes = [f"I{i}" for i in range(draw(st.integers(1, 15)))]
    formulas: dict[str, str | None] = {}
    for code in draw(st.permutations(codes)):
        lower = [c for c in codes if int(c[1:]) < int(code[1:])]
        uses = draw(st.sets(st.sampled_from(lower), max_size=3)) if lower else set()
        formulas[code] = " + ".join(sorted(uses)) if uses else draw(st.sampled_from([None, "1"]))
    return formulas


def uses(formulas: dict[str, str | None], code: str) -> frozenset[str]:
    text = formulas[code]
    return frozenset() if text is None else references(parse(text))


@given(dags())
def test_dags_have_no_cycle_and_order_respects_every_edge(formulas: dict[str, str | None]) -> None:
    assert find_cycle(formulas) is None
    check_definitions(formulas)
    order = dependency_order(formulas)
    assert sorted(order) == sorted(formulas)
    position = {code: i for i, code in enumerate(order)}
    for code in formulas:
        for used in uses(formulas, code):
            assert position[used] < position[code]


@given(dags(), st.data())
def test_a_planted_cycle_is_found(formulas: dict[str, str | None], data: st.DataObject) -> None:
    ring = data.draw(st.lists(st.sampled_from(sorted(formulas)), min_size=1, unique=True))
    for code, following in zip(ring, ring[1:] + ring[:1], strict=True):
        text = formulas[code]
        formulas[code] = following if text is None else f"{text} - {following}"
    cycle = find_cycle(formulas)
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert len(set(cycle[:-1])) == len(cycle) - 1
    for code, used in itertools.pairwise(cycle):
        assert used in uses(formulas, code)
    with pytest.raises(FormulaError) as caught:
        check_definitions(formulas)
    assert caught.value.code == "formula_cycle"
    with pytest.raises(FormulaError):
        dependency_order(formulas)


@given(dags(), st.data())
def test_unknown_references_are_reported_exactly(
    formulas: dict[str, str | None], data: st.DataObject
) -> None:
    planted: dict[str, set[str]] = {}
    for code in sorted(formulas):
        unknown = data.draw(st.sets(st.sampled_from(["U1", "U2.X", "Z_9"]), max_size=2))
        if unknown:
            planted[code] = unknown
            text = formulas[code]
            extra = " * ".join(sorted(unknown))
            formulas[code] = extra if text is None else f"({text}) / {extra}"
    assert unknown_references(formulas) == planted
    assert find_cycle(formulas) is None
    if planted:
        with pytest.raises(FormulaError) as caught:
            check_definitions(formulas)
        first = min(planted)
        assert caught.value.details == {"code": first, "unknown": sorted(planted[first])}
