"""What every family's text view does first with a completion: make it a bounded ``str`` or say why not."""

from __future__ import annotations


def as_text(completion: object, max_chars: int) -> tuple[str | None, str]:
    """The completion as text (cut to ``max_chars``) and a note; never raises.

    Returns:
        (text, note): text is None when the completion is not a string (or bytes that are not UTF-8), and the note
        says why; a text longer than ``max_chars`` is cut, and the note says so; otherwise the note is empty.
    """
    if isinstance(completion, bytes):
        try:
            completion = completion.decode("utf-8")
        except UnicodeDecodeError:
            return None, "completion is bytes that are not UTF-8"
    if not isinstance(completion, str):
        return None, f"completion is not a string ({type(completion).__name__})"
    if len(completion) > max_chars:
        return completion[:max_chars], f"completion cut to {max_chars} characters"
    return completion, ""
