"""An incremental JSON tokenizer that knows where it is in the document.

It is fed the same chunks as the stream masker and tells it which byte ranges are *opaque*
(must pass byte for byte: signed blocks, image data, ids, numbers) and up to where that is
decided. It validates the grammar as it goes, so a body that is not JSON fails closed at the
first bad byte, and it never re-serializes anything: the masker edits string contents in place.

What is opaque is a :class:`JsonPolicy`'s decision, made per value from its parent frame and
key; the tracker knows nothing about any API.
"""

from __future__ import annotations

import re

MASK = 0
OPAQUE = 1
HOLD = 2
"""A string whose classification needs its first bytes (see :meth:`JsonPolicy.hold_prefix`)."""

_WS = re.compile(rb"[ \t\r\n]*")
# String content: unescaped characters and complete escapes.
_STR_BODY = re.compile(rb'(?:[^"\\\x00-\x1f]+|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*')
_ESC_PREFIX = re.compile(rb"\\(?:u[0-9a-fA-F]{0,3})?\Z")
# A whole string in one match: the common case, a string not cut by the chunk boundary.
# Possessive quantifiers: a string that is not closed yet must fail at once, not backtrack.
_STRING = re.compile(rb'"((?:[^"\\\x00-\x1f]++|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*+)"')
_WS_BYTES = frozenset(b" \t\r\n")
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NUMBER_CHARS = frozenset(b"0123456789+-.eE")
_LITERALS = (b"true", b"false", b"null")

# What the tokenizer expects next.
_VALUE, _KEY_OR_CLOSE, _KEY, _COLON, _COMMA_OR_CLOSE, _END = range(6)

_KEEP = 256
"""Bytes of a key or short string value kept for the policy (longer ones are cut)."""


class JsonSyntaxError(ValueError):
    """The body is not valid JSON. The message gives the offset, never content."""


class Frame:
    """An open object or array, as the policy sees it."""

    __slots__ = ("is_object", "mode", "tag", "key", "type", "fixed")

    def __init__(self, is_object: bool, mode: int, tag: str, fixed: int | None = None) -> None:
        self.is_object = is_object
        self.mode = mode
        self.tag = tag
        self.fixed = fixed
        """The mode of every member, when the policy says it does not depend on keys."""
        self.key: bytes | None = None  # the key whose value comes next (objects)
        self.type: bytes | None = None  # the object's "type" member, once seen

    def copy(self) -> Frame:
        twin = Frame(self.is_object, self.mode, self.tag, self.fixed)
        twin.key = self.key
        twin.type = self.type
        return twin


class JsonPolicy:
    """Decides what is opaque. The default masks every string and keeps numbers and literals."""

    def root_tag(self) -> str:
        return "root"

    def value_mode(self, parent: Frame | None, is_container: bool) -> tuple[int, str]:
        """Mode and tag of a value starting under ``parent`` (its key is ``parent.key``)."""
        return (parent.mode if parent else MASK), ""

    def hold_prefix(self, parent: Frame | None) -> bytes:
        """For a string in HOLD mode: a prefix that makes it opaque; otherwise it is masked."""
        return b""

    def wants_type(self, frame: Frame) -> bool:
        """Whether the tracker should record this object's ``type`` member."""
        return False

    def fixed_mode(self, mode: int, tag: str) -> int | None:
        """The mode of every value under a frame of this mode and tag, if it is one mode for
        all of them (and their containers keep the tag); None when it depends on keys."""
        return mode


class JsonTracker:
    """Feed raw JSON bytes; read :attr:`decided` and ask :meth:`opaque_within`.

    Offsets are absolute (from the first byte ever fed). Opaque ranges are half-open
    ``[start, end)``; an open range (its value not finished yet) has ``end == -1``.
    """

    def __init__(self, policy: JsonPolicy | None = None) -> None:
        self._policy = policy or JsonPolicy()
        self._buf = b""
        self._off = 0  # absolute offset of _buf[0]
        self._stack: list[Frame] = []
        self._expect = _VALUE
        self._in_string = False
        self._string_start = 0
        self._string_is_key = False
        self._string_mode = MASK
        self._string_keep: bytearray | None = None
        self._held: bytes = b""  # HOLD-mode string: the prefix that would make it opaque
        self.opaque: list[list[int]] = []
        self.head = 0
        """Ranges before ``opaque[head]`` are forgotten."""
        self._empty_array = False
        self.decided = 0
        self.done = False

    def copy(self) -> JsonTracker:
        """An independent tracker in the same state (the policy is shared: it keeps none)."""
        twin = object.__new__(JsonTracker)
        twin.__dict__.update(self.__dict__)
        twin._stack = [frame.copy() for frame in self._stack]
        twin.opaque = [r[:] for r in self.opaque[self.head :]]
        twin.head = 0
        if self._string_keep is not None:
            twin._string_keep = bytearray(self._string_keep)
        return twin

    # -- queries for the masker -------------------------------------------------------------

    def opaque_within(self, start: int, end: int) -> bool:
        """True when ``[start, end)`` lies inside one opaque range (ranges already decided)."""
        ranges = self.opaque
        for k in range(self.head, len(ranges)):
            r = ranges[k]
            if r[0] > start:
                return False
            if r[1] == -1 or end <= r[1]:
                return True
            if r[1] > start:
                return False
        return False

    def forget_before(self, pos: int) -> None:
        """Drop ranges that end at or before ``pos``; findings are asked in order after it."""
        ranges = self.opaque
        head = self.head
        while head < len(ranges) and ranges[head][1] != -1 and ranges[head][1] <= pos:
            head += 1
        if head > 1024 and head * 2 > len(ranges):
            del ranges[:head]
            head = 0
        self.head = head

    # -- feeding -------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        self._buf = self._buf + data if self._buf else data
        self._run(final=False)

    def finish(self) -> None:
        self._run(final=True)
        if self._in_string or self._stack or self._expect != _END:
            raise JsonSyntaxError(f"JSON body ends early at offset {self._off + len(self._buf)}")
        self.done = True

    def _error(self, i: int, what: str) -> JsonSyntaxError:
        return JsonSyntaxError(f"invalid JSON at offset {self._off + i}: {what}")

    def _run(self, final: bool) -> None:
        buf = self._buf
        n = len(buf)
        i = 0
        policy = self._policy
        stack = self._stack
        while True:
            if self._in_string:
                j = _STR_BODY.match(buf, i).end()
                keep = self._string_keep
                if keep is not None and len(keep) < _KEEP:
                    keep += buf[i : min(j, i + _KEEP - len(keep))]
                if self._string_mode == HOLD:
                    self._resolve_hold(buf[i:j], j < n and buf[j] == 0x22)
                i = j
                if j == n:
                    break
                c = buf[j]
                if c == 0x22:  # closing quote
                    self._end_string(j + 1)
                    i = j + 1
                    continue
                if c == 0x5C and _ESC_PREFIX.match(buf, j) and not final:
                    break  # an escape cut by the chunk boundary
                raise self._error(j, "bad character or escape in string")
            if i == n:
                break
            if buf[i] in _WS_BYTES:
                i = _WS.match(buf, i).end()
                if i == n:
                    break
            c = buf[i]
            expect = self._expect
            if c == 0x22 and (m := _STRING.match(buf, i)) is not None:
                end = m.end()
                if expect == _VALUE:
                    parent = stack[-1] if stack else None
                    if parent is None or parent.mode != OPAQUE:
                        mode = parent.fixed if parent is not None else None
                        if mode is None:
                            mode = policy.value_mode(parent, False)[0]
                        if mode == HOLD:
                            held = policy.hold_prefix(parent)
                            mode = OPAQUE if m.group(1).startswith(held) else MASK
                        if mode == OPAQUE:
                            self.opaque.append([self._off + i, self._off + end])
                        if (
                            parent is not None
                            and parent.key == b"type"
                            and parent.is_object
                            and policy.wants_type(parent)
                        ):
                            parent.type = m.group(1)[:_KEEP]
                    self._expect = _COMMA_OR_CLOSE if stack else _END
                elif expect in (_KEY_OR_CLOSE, _KEY):
                    stack[-1].key = m.group(1)[:_KEEP]
                    self._expect = _COLON
                else:
                    raise self._error(i, "unexpected string")
                i = end
                continue
            if c == 0x22:  # '"' of a string the chunk cuts
                if expect in (_KEY_OR_CLOSE, _KEY):
                    self._start_string(i, is_key=True, mode=stack[-1].mode)
                    self._expect = _COLON
                elif expect == _VALUE:
                    parent = stack[-1] if stack else None
                    mode, _ = policy.value_mode(parent, False)
                    self._start_string(i, is_key=False, mode=mode)
                    self._after_value()
                else:
                    raise self._error(i, "unexpected string")
                i += 1
                continue
            if c in (0x7B, 0x5B):  # '{' '['
                if expect != _VALUE:
                    raise self._error(i, "unexpected container")
                parent = stack[-1] if stack else None
                if parent is not None and parent.fixed is not None:
                    mode, tag = parent.fixed, parent.tag
                else:
                    mode, tag = policy.value_mode(parent, True)
                if mode == OPAQUE and (parent is None or parent.mode != OPAQUE):
                    self.opaque.append([self._off + i, -1])
                stack.append(Frame(c == 0x7B, mode, tag, policy.fixed_mode(mode, tag)))
                self._expect = _KEY_OR_CLOSE if c == 0x7B else _VALUE
                self._empty_array = c == 0x5B
                i += 1
                continue
            if c in (0x7D, 0x5D):  # '}' ']'
                if not stack or stack[-1].is_object != (c == 0x7D):
                    raise self._error(i, "unbalanced bracket")
                if c == 0x7D and expect not in (_KEY_OR_CLOSE, _COMMA_OR_CLOSE):
                    raise self._error(i, "unexpected '}'")
                if c == 0x5D and not (
                    expect == _COMMA_OR_CLOSE or (expect == _VALUE and self._empty_array)
                ):
                    raise self._error(i, "unexpected ']'")
                frame = stack.pop()
                parent = stack[-1] if stack else None
                if frame.mode == OPAQUE and (parent is None or parent.mode != OPAQUE):
                    self.opaque[-1][1] = self._off + i + 1
                self._after_value()
                i += 1
                continue
            if c == 0x3A:  # ':'
                if expect != _COLON:
                    raise self._error(i, "unexpected ':'")
                self._expect = _VALUE
                self._empty_array = False
                i += 1
                continue
            if c == 0x2C:  # ','
                if expect != _COMMA_OR_CLOSE:
                    raise self._error(i, "unexpected ','")
                self._expect = _KEY if stack[-1].is_object else _VALUE
                self._empty_array = False
                i += 1
                continue
            # a number or a literal
            if expect != _VALUE:
                raise self._error(i, "unexpected value")
            m = _NUMBER.match(buf, i)
            if m:
                j = m.end()
                if j == n and not final:
                    break  # the number may go on
                if j < n and buf[j] in _NUMBER_CHARS:
                    if not final and all(b in _NUMBER_CHARS for b in buf[j:]):
                        break  # "1500." or "1e" cut by the chunk boundary
                    raise self._error(j, "bad number")
            else:
                for lit in _LITERALS:
                    if buf.startswith(lit, i):
                        j = i + len(lit)
                        break
                    if not final and lit.startswith(buf[i:]):
                        j = -1
                        break
                else:
                    raise self._error(i, "unexpected character")
                if j == -1:
                    break
            # Numbers and literals always pass unchanged: a digit surrogate could make
            # "0123", and a bare number is never a finding.
            if not stack or stack[-1].mode != OPAQUE:
                self.opaque.append([self._off + i, self._off + j])
            self._after_value()
            i = j
        # keep the unconsumed tail (a cut number, literal or escape)
        self._off += i
        self._buf = buf[i:]
        if self._in_string and self._string_mode == HOLD:
            self.decided = self._string_start
        else:
            self.decided = self._off

    def _start_string(self, i: int, is_key: bool, mode: int) -> None:
        self._in_string = True
        self._string_is_key = is_key
        self._string_start = self._off + i
        self._string_mode = mode
        frame = self._stack[-1] if self._stack else None
        want = is_key or (
            frame is not None
            and frame.is_object
            and frame.key == b"type"
            and self._policy.wants_type(frame)
        )
        self._string_keep = bytearray() if want else None
        if mode == HOLD:
            self._held = self._policy.hold_prefix(frame)
        elif mode == OPAQUE and (frame is None or frame.mode != OPAQUE):
            self.opaque.append([self._string_start, -1])

    def _resolve_hold(self, piece: bytes, closing: bool) -> None:
        """Settle a HOLD string once its first bytes show whether it starts with the prefix."""
        held = self._held
        if piece.startswith(held):
            self._string_mode = OPAQUE
            self.opaque.append([self._string_start, -1])
        elif held.startswith(piece) and not closing:
            self._held = held[len(piece) :]
        else:
            self._string_mode = MASK

    def _end_string(self, end_i: int) -> None:
        self._in_string = False
        frame = self._stack[-1] if self._stack else None
        if self._string_mode == HOLD:
            self._string_mode = MASK  # too short to carry the prefix
        if self._string_mode == OPAQUE and (frame is None or frame.mode != OPAQUE):
            self.opaque[-1][1] = self._off + end_i
        keep = self._string_keep
        if frame is not None and frame.is_object:
            if self._string_is_key:
                frame.key = bytes(keep) if keep is not None else None
            elif keep is not None and frame.key == b"type":
                frame.type = bytes(keep)
        self._string_keep = None

    def _after_value(self) -> None:
        self._expect = _COMMA_OR_CLOSE if self._stack else _END
