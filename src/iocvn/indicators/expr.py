"""Formula indicators (chỉ số tính toán): parse, print, evaluate `100 * DVC.ONTIME / DVC.TOTAL`.

A formula is arithmetic (``+ - * /``, unary minus and plus, parentheses) over decimal numbers
and other indicators' codes. This module is the only reader of formula text and must stay
safe on untrusted input: it never hands text to ``eval``/``exec``/``compile`` or to Python's
``ast``; a hand-written tokenizer and recursive-descent parser accept exactly the grammar
below and report anything else as a ``FormulaError`` with the character position.

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | primary
    primary    := NUMBER | CODE | "(" expression ")"
    NUMBER     := [0-9]+ ("." [0-9]+)?          (a decimal point, never a comma)
    CODE       := [A-Z][A-Z0-9_]* ("." [A-Z0-9_]+)*

Evaluation never raises and never yields inf or NaN: a missing input, a division by zero or
an overflow gives ``None`` (the indicator has no value for that period). The module also
checks a catalogue of formulas for unknown codes and cycles and orders derived indicators
for computation. It holds no database access.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

from iocvn.core.errors import Invalid
from iocvn.core.i18n import register

MAX_LENGTH = 500
"""Longest formula text accepted, in characters."""
MAX_DEPTH = 50
"""Deepest nesting of parentheses and unary signs accepted."""

_DIGITS = frozenset("0123456789")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CODE_PART = _UPPER | _DIGITS | {"_"}
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_OPERATORS = frozenset("+-*/")
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_NEG_PRECEDENCE = 3
_ATOM_PRECEDENCE = 4


class FormulaError(Invalid):
    """A formula, or a set of formulas, that cannot be used (syntax, unknown code, cycle)."""

    code = "invalid_formula"


# ---------------------------------------------------------------------------------------
# Syntax tree


@dataclass(frozen=True, slots=True)
class Num:
    """A number literal; never negative (``-5`` is ``Neg(Num(5))``), so printing round-trips."""

    value: Decimal

    def __post_init__(self) -> None:
        if not self.value.is_finite() or self.value.is_signed():
            raise ValueError(f"Num needs a finite, non-negative Decimal, not {self.value!r}")


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to another indicator's value by its code."""

    code: str


@dataclass(frozen=True, slots=True)
class Neg:
    """Unary minus."""

    operand: Node


@dataclass(frozen=True, slots=True)
class BinOp:
    """A binary operation: ``op`` is one of ``+ - * /``."""

    op: str
    left: Node
    right: Node


Node: TypeAlias = Num | Ref | Neg | BinOp


# ---------------------------------------------------------------------------------------
# Tokenizer and parser


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "num", "code", "op", "(", ")", "end"
    text: str
    pos: int


def _syntax_error(
    formula: str, position: int, problem: str, found: str = "", **params: Any
) -> FormulaError:
    """A ``FormulaError`` for ``problem`` at ``position`` (0-based; ``column`` is 1-based)."""
    return FormulaError(
        "invalid_formula",
        message_key=f"error.invalid_formula.{problem}",
        details={"formula": formula, "position": position, "problem": problem, "found": found},
        position=position,
        column=position + 1,
        problem=problem,
        found=found,
        **params,
    )


def _tokens(text: str) -> Iterator[_Token]:
    """Split ``text`` into tokens, rejecting any character outside the grammar."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in _DIGITS:
            start = i
            while i < n and text[i] in _DIGITS:
                i += 1
            if i < n and text[i] == ".":
                i += 1
                if i >= n or text[i] not in _DIGITS:
                    raise _syntax_error(text, start, "bad_number", text[start:i])
                while i < n and text[i] in _DIGITS:
                    i += 1
            if i < n and text[i] == ",":
                raise _syntax_error(text, i, "decimal_comma", ",")
            yield _Token("num", text[start:i], start)
        elif c in _UPPER:
            start = i
            while i < n and text[i] in _CODE_PART:
                i += 1
            while i < n and text[i] == ".":
                if i + 1 < n and text[i + 1] in _LOWER:
                    raise _syntax_error(text, i + 1, "lowercase_code", text[start : i + 2])
                if i + 1 >= n or text[i + 1] not in _CODE_PART:
                    raise _syntax_error(text, i + 1, "bad_code", text[start : i + 2])
                i += 1
                while i < n and text[i] in _CODE_PART:
                    i += 1
            if i < n and text[i] in _LOWER:
                raise _syntax_error(text, i, "lowercase_code", text[start : i + 1])
            yield _Token("code", text[start:i], start)
        elif c in _OPERATORS:
            i += 1
            yield _Token("op", c, i - 1)
        elif c in "()":
            i += 1
            yield _Token(c, c, i - 1)
        elif c in _LOWER:
            raise _syntax_error(text, i, "lowercase_code", c)
        else:
            raise _syntax_error(text, i, "unexpected_character", c)
    yield _Token("end", "", n)


class _Parser:
    """Recursive descent over the token list; ``depth`` bounds parentheses and unary signs."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(_tokens(text))
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, problem: str, token: _Token | None = None, **params: Any) -> FormulaError:
        token = token or self.token
        return _syntax_error(self.text, token.pos, problem, token.text, **params)

    def formula(self) -> Node:
        node = self.expression(0)
        if self.token.kind == ")":
            raise self.error("unmatched_parenthesis")
        if self.token.kind != "end":
            raise self.error("expected_operator")
        return node

    def expression(self, depth: int) -> Node:
        node = self.term(depth)
        while self.token.kind == "op" and self.token.text in "+-":
            op = self.advance().text
            node = BinOp(op, node, self.term(depth))
        return node

    def term(self, depth: int) -> Node:
        node = self.unary(depth)
        while self.token.kind == "op" and self.token.text in "*/":
            op = self.advance().text
            node = BinOp(op, node, self.unary(depth))
        return node

    def unary(self, depth: int) -> Node:
        if self.token.kind == "op" and self.token.text in "+-":
            if depth >= MAX_DEPTH:
                raise self.error("too_deep", limit=MAX_DEPTH)
            sign = self.advance().text
            operand = self.unary(depth + 1)
            return Neg(operand) if sign == "-" else operand
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        token = self.token
        if token.kind == "num":
            self.advance()
            return Num(Decimal(token.text))
        if token.kind == "code":
            self.advance()
            return Ref(token.text)
        if token.kind == "(":
            if depth >= MAX_DEPTH:
                raise self.error("too_deep", limit=MAX_DEPTH)
            self.advance()
            node = self.expression(depth + 1)
            if self.token.kind != ")":
                if self.token.kind == "end":
                    raise self.error("unclosed_parenthesis", token)
                raise self.error("expected_operator")
            self.advance()
            return node
        raise self.error("expected_operand")


def parse(text: str) -> Node:
    """Parse formula text into a tree; anything outside the grammar raises ``FormulaError``."""
    if len(text) > MAX_LENGTH:
        raise _syntax_error(text[:MAX_LENGTH], MAX_LENGTH, "too_long", limit=MAX_LENGTH)
    if not text.strip():
        raise _syntax_error(text, 0, "empty")
    return _Parser(text).formula()


# ---------------------------------------------------------------------------------------
# Printing, references, evaluation


def _precedence(node: Node) -> int:
    if isinstance(node, BinOp):
        return _PRECEDENCE[node.op]
    if isinstance(node, Neg):
        return _NEG_PRECEDENCE
    return _ATOM_PRECEDENCE


def _number_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def to_text(node: Node) -> str:
    """The canonical text of a tree, with only the parentheses it needs to parse back."""
    if isinstance(node, Num):
        return _number_text(node.value)
    if isinstance(node, Ref):
        return node.code
    if isinstance(node, Neg):
        inner = to_text(node.operand)
        return f"-({inner})" if _precedence(node.operand) < _NEG_PRECEDENCE else f"-{inner}"
    prec = _PRECEDENCE[node.op]
    left, right = to_text(node.left), to_text(node.right)
    if _precedence(node.left) < prec:
        left = f"({left})"
    # Operators associate to the left, so an equal-precedence right operand needs parentheses.
    if _precedence(node.right) <= prec:
        right = f"({right})"
    return f"{left} {node.op} {right}"


def references(node: Node) -> frozenset[str]:
    """The indicator codes a formula uses."""
    if isinstance(node, Ref):
        return frozenset((node.code,))
    if isinstance(node, Num):
        return frozenset()
    if isinstance(node, Neg):
        return references(node.operand)
    return references(node.left) | references(node.right)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def evaluate(node: Node, values: Mapping[str, float | None]) -> float | None:
    """The formula's value, or ``None`` when an input is missing, a divisor is 0 or it overflows."""
    if isinstance(node, Num):
        return _finite(float(node.value))
    if isinstance(node, Ref):
        value = values.get(node.code)
        return _finite(float(value)) if value is not None else None
    if isinstance(node, Neg):
        operand = evaluate(node.operand, values)
        return None if operand is None else -operand
    left = evaluate(node.left, values)
    if left is None:
        return None
    right = evaluate(node.right, values)
    if right is None:
        return None
    if node.op == "+":
        return _finite(left + right)
    if node.op == "-":
        return _finite(left - right)
    if node.op == "*":
        return _finite(left * right)
    if right == 0:
        return None
    return _finite(left / right)


# ---------------------------------------------------------------------------------------
# A catalogue of formulas: unknown codes, cycles, computation order


def _graph(formulas: Mapping[str, str | None]) -> dict[str, frozenset[str]]:
    """Each code's references (empty for collected indicators); syntax errors name the code."""
    graph: dict[str, frozenset[str]] = {}
    for code, text in formulas.items():
        if text is None:
            graph[code] = frozenset()
            continue
        try:
            graph[code] = references(parse(text))
        except FormulaError as exc:
            raise FormulaError(
                exc.code,
                message_key=exc.message_key,
                details={**exc.details, "code": code},
                **exc.params,
            ) from exc
    return graph


def _walk(graph: Mapping[str, frozenset[str]]) -> tuple[list[str], list[str] | None]:
    """Depth-first post-order over known codes, and the first cycle met (or ``None``).

    Iterative so that a long chain of derived indicators cannot hit the recursion limit;
    codes and edges are visited in sorted order so results are reproducible.
    """
    done: set[str] = set()
    order: list[str] = []
    for root in sorted(graph):
        if root in done:
            continue
        path: list[str] = [root]
        on_path: set[str] = {root}
        pending: list[Iterator[str]] = [iter(sorted(graph[root] & graph.keys()))]
        while pending:
            child = next(pending[-1], None)
            if child is None:
                pending.pop()
                node = path.pop()
                on_path.discard(node)
                done.add(node)
                order.append(node)
            elif child in on_path:
                return order, [*path[path.index(child) :], child]
            elif child not in done:
                path.append(child)
                on_path.add(child)
                pending.append(iter(sorted(graph[child] & graph.keys())))
    return order, None


def find_cycle(formulas: Mapping[str, str | None]) -> list[str] | None:
    """A cycle of formulas referring to each other, as ``["A", "B", "A"]`` (A uses B uses A)."""
    return _walk(_graph(formulas))[1]


def unknown_references(formulas: Mapping[str, str | None]) -> dict[str, set[str]]:
    """For each formula using codes that are not in ``formulas``, those codes."""
    unknown: dict[str, set[str]] = {}
    for code, refs in _graph(formulas).items():
        missing = set(refs - formulas.keys())
        if missing:
            unknown[code] = missing
    return unknown


def _cycle_error(cycle: list[str]) -> FormulaError:
    return FormulaError("formula_cycle", details={"cycle": cycle}, path=" → ".join(cycle))


def check_definitions(formulas: Mapping[str, str | None]) -> None:
    """Raise ``FormulaError`` for a syntax error, an unknown code or a cycle in ``formulas``."""
    unknown = unknown_references(formulas)
    if unknown:
        code = min(unknown)
        names = sorted(unknown[code])
        raise FormulaError(
            "unknown_indicator",
            details={"code": code, "unknown": names},
            indicator=code,
            unknown=", ".join(names),
        )
    cycle = find_cycle(formulas)
    if cycle is not None:
        raise _cycle_error(cycle)


def dependency_order(formulas: Mapping[str, str | None]) -> list[str]:
    """Every code, each after the codes its formula uses (unknown codes are left out)."""
    order, cycle = _walk(_graph(formulas))
    if cycle is not None:
        raise _cycle_error(cycle)
    return order


register(
    {
        "error.invalid_formula": (
            "Công thức không hợp lệ ở vị trí {column}: {problem}.",
            "The formula is not valid at column {column}: {problem}.",
        ),
        "error.invalid_formula.empty": (
            "Công thức đang để trống.",
            "The formula is empty.",
        ),
        "error.invalid_formula.too_long": (
            "Công thức dài quá {limit} ký tự.",
            "The formula is longer than {limit} characters.",
        ),
        "error.invalid_formula.too_deep": (
            "Công thức lồng nhau quá {limit} cấp (vị trí {column}).",
            "The formula nests more than {limit} levels deep (column {column}).",
        ),
        "error.invalid_formula.unexpected_character": (
            "Công thức có ký tự không được phép ở vị trí {column}: {found}",
            "The formula has a character that is not allowed at column {column}: {found}",
        ),
        "error.invalid_formula.lowercase_code": (
            "Mã chỉ số phải viết hoa (vị trí {column}: {found}).",
            "Indicator codes are written in upper case (column {column}: {found}).",
        ),
        "error.invalid_formula.decimal_comma": (
            "Số thập phân trong công thức dùng dấu chấm, không dùng dấu phẩy (vị trí {column}).",
            "Numbers in formulas use a decimal point, not a comma (column {column}).",
        ),
        "error.invalid_formula.bad_number": (
            "Số viết sai ở vị trí {column}: {found}",
            "Malformed number at column {column}: {found}",
        ),
        "error.invalid_formula.bad_code": (
            "Mã chỉ số viết sai ở vị trí {column}: {found}",
            "Malformed indicator code at column {column}: {found}",
        ),
        "error.invalid_formula.expected_operand": (
            "Công thức thiếu số, mã chỉ số hoặc dấu mở ngoặc ở vị trí {column}.",
            "Expected a number, an indicator code or '(' at column {column}.",
        ),
        "error.invalid_formula.expected_operator": (
            "Công thức thiếu phép tính (+ - * /) ở vị trí {column}.",
            "Expected an operator (+ - * /) at column {column}.",
        ),
        "error.invalid_formula.unclosed_parenthesis": (
            "Công thức thiếu dấu đóng ngoặc (vị trí {column}).",
            "A parenthesis is not closed (column {column}).",
        ),
        "error.invalid_formula.unmatched_parenthesis": (
            "Dấu đóng ngoặc ở vị trí {column} không có dấu mở ngoặc tương ứng.",
            "The closing parenthesis at column {column} has no opening one.",
        ),
        "error.formula_cycle": (
            "Các công thức chỉ số tham chiếu lẫn nhau thành vòng: {path}.",
            "Indicator formulas refer to each other in a cycle: {path}.",
        ),
        "error.unknown_indicator": (
            "Công thức của chỉ số {indicator} dùng mã chỉ số không tồn tại: {unknown}.",
            "The formula of indicator {indicator} uses unknown indicator codes: {unknown}.",
        ),
    }
)
