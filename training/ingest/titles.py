"""Movie titles as a person would write them.

MovieLens files move a leading article to the end ("Deer Hunter, The (1978)",
"City of Lost Children, The (Cité des enfants perdus, La) (1995)"); the title
model should read "The Deer Hunter", so ingest turns them back.
"""

from __future__ import annotations

import re

# Articles MovieLens moves to the end, English and the common European ones.
_ARTICLES = r"The|A|An|Les|La|Le|L'|Il|Lo|I|Gli|Das|Der|Die|Den|Det|El|Los|Las|Un|Una|Une|O|Os|As"
_TRAILING_ARTICLE = re.compile(rf"^(?P<body>.+?), (?P<article>{_ARTICLES})(?P<rest>\s*\(.*\))?$")
_YEAR_SUFFIX = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:[-–]\d{0,4})?\)\s*$")


def natural_title(title: str) -> str:
    """'Deer Hunter, The' -> 'The Deer Hunter'; other titles unchanged (whitespace tidied)."""
    title = " ".join(title.split())
    m = _TRAILING_ARTICLE.match(title)
    if not m:
        return title
    article = m["article"]
    sep = "" if article.endswith("'") else " "
    return f"{article}{sep}{m['body']}{m['rest'] or ''}"


def split_year(title: str) -> tuple[str, int | None]:
    """'Toy Story (1995)' -> ('Toy Story', 1995); a title with no year -> (title, None)."""
    m = _YEAR_SUFFIX.match(title.strip())
    if not m:
        return title.strip(), None
    return m["title"].strip(), int(m["year"])
