"""A small text language for filters and sorts (the command line's ``--where``/``--sort``).

Grammar (keywords are case-insensitive)::

    where      := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | "(" where ")" | comparison
    comparison := attribute op value
                | attribute ["not"] "in" "(" value ("," value)* ")"
                | attribute "is" ["not"] "null"
                | attribute ("contains" | "starts" "with") string
    op         := "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
    attribute  := name ("." (name | string))*         e.g. stage.id, custom_fields."Lead score"
    value      := number | string | true | false | null
    string     := '...' or "..." (a backslash escapes the next character)

``decimal_value >= 1000 and stage.id in (1, 2)`` reads as
``(F("decimal_value") >= 1000) & F("stage.id").any([1, 2])``. Numbers with a
fraction become Decimals. A mistake raises :class:`ExpressionError`, whose
message shows the text with a caret under the column where reading failed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..support.errors import Error
from .query import Condition, F, SortSpec

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op><=|>=|!=|==|=|<|>)
  | (?P<punct>[(),.])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false", "contains", "starts",
             "with"}


class ExpressionError(Error, ValueError):
    """A --where or --sort text that does not parse; ``column`` counts from 1."""

    def __init__(self, text: str, column: int, message: str) -> None:
        self.text = text
        self.column = column
        self.reason = message
        caret = " " * (column - 1) + "^"
        super().__init__(f"{message} at column {column}\n  {text}\n  {caret}")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "name" else ""


def _tokens(text: str) -> list[Token]:
    out = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(text, position + 1, f"unexpected character {text[position]!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            out.append(Token(kind, match.group(), position + 1))
        position = match.end()
    out.append(Token("end", "", len(text) + 1))
    return out


def _unquote(token: Token) -> str:
    return re.sub(r"\\(.)", r"\1", token.text[1:-1])


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def fail(self, message: str, token: Token | None = None) -> ExpressionError:
        token = token or self.token
        found = "the end of the text" if token.kind == "end" else repr(token.text)
        return ExpressionError(self.text, token.column, f"{message}, found {found}")

    def take(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def keyword(self, *words: str) -> bool:
        if self.token.word in words:
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if self.token.text.lower() != text:
            raise self.fail(f"expected {text!r}")
        self.index += 1

    def parse(self) -> Condition:
        condition = self.or_()
        if self.token.kind != "end":
            raise self.fail("expected 'and', 'or' or the end")
        return condition

    def or_(self) -> Condition:
        condition = self.and_()
        while self.keyword("or"):
            condition = condition | self.and_()
        return condition

    def and_(self) -> Condition:
        condition = self.not_()
        while self.keyword("and"):
            condition = condition & self.not_()
        return condition

    def not_(self) -> Condition:
        if self.keyword("not"):
            return ~self.not_()
        if self.token.text == "(":
            self.take()
            condition = self.or_()
            self.expect(")")
            return condition
        return self.comparison()

    def attribute(self) -> str:
        token = self.token
        if token.kind != "name" or token.word in _KEYWORDS:
            raise self.fail("expected an attribute name")
        parts = [self.take().text]
        while self.token.text == ".":
            self.take()
            if self.token.kind == "name":
                parts.append(self.take().text)
            elif self.token.kind == "string":
                parts.append(_unquote(self.take()))
            else:
                raise self.fail("expected a name after '.'")
        return ".".join(parts)

    def value(self) -> Any:
        token = self.token
        if token.kind == "number":
            self.take()
            return Decimal(token.text) if "." in token.text else int(token.text)
        if token.kind == "string":
            self.take()
            return _unquote(token)
        if token.word in ("true", "false", "null"):
            self.take()
            return {"true": True, "false": False, "null": None}[token.word]
        raise self.fail("expected a value (a number, a quoted text, true, false or null)")

    def comparison(self) -> Condition:
        field = F(self.attribute())
        token = self.token
        if token.kind == "op":
            self.take()
            value = self.value()
            return {"=": field.__eq__, "==": field.__eq__, "!=": field.__ne__,
                    "<": field.__lt__, "<=": field.__le__, ">": field.__gt__,
                    ">=": field.__ge__}[token.text](value)
        negate = self.keyword("not")
        if self.keyword("in"):
            self.expect("(")
            values = [self.value()]
            while self.token.text == ",":
                self.take()
                values.append(self.value())
            self.expect(")")
            condition = field.any(values)
            return ~condition if negate else condition
        if negate:
            raise self.fail("expected 'in' after 'not'")
        if self.keyword("is"):
            null = not self.keyword("not")
            if not self.keyword("null"):
                raise self.fail("expected 'null'")
            return field.is_null(null)
        if self.keyword("contains"):
            return field.contains(self.text_value("contains"))
        if self.keyword("starts"):
            if not self.keyword("with"):
                raise self.fail("expected 'with' after 'starts'")
            return field.starts_with(self.text_value("starts with"))
        raise self.fail("expected an operator (=, !=, <, <=, >, >=, in, is, contains, "
                        "starts with)")

    def text_value(self, operator: str) -> str:
        if self.token.kind != "string":
            raise self.fail(f"{operator} takes a quoted text")
        return _unquote(self.take())


def parse_where(text: str) -> Condition:
    """A filter tree from ``--where`` text."""
    if not text.strip():
        raise ExpressionError(text, 1, "the expression is empty")
    return _Parser(text).parse()


def parse_sort(text: str) -> SortSpec:
    """``"updated_at:desc,name"`` -> ``[("updated_at", "desc"), ("name", "asc")]``."""
    out: list[tuple[str, str]] = []
    column = 1
    for part in text.split(","):
        name, _, direction = part.strip().partition(":")
        offset = column + len(part) - len(part.lstrip())
        if not re.fullmatch(r"[A-Za-z_][\w]*(\.[\w ]+)*", name):
            raise ExpressionError(text, offset, f"expected an attribute name, found {name!r}")
        if direction.lower() not in ("", "asc", "desc"):
            raise ExpressionError(text, offset + len(name) + 1,
                                  f"expected asc or desc, found {direction!r}")
        out.append((name, direction.lower() or "asc"))
        column += len(part) + 1
    return out
