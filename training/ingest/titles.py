"""Movie titles as a person would write them.

MovieLens files move a leading article to the end ("Deer Hunter, The (1978)",
"City of Lost Children, The (Cité des enfants perdus, La) (1995)"); the title
model should read "The Deer Hunter", so ingest turns them back. The title a
person reads ("The City of Lost Children") keeps only the main title; the
alternate titles in parentheses are kept beside it, for search (``display_title``).
"""

from __future__ import annotations

import re
import unicodedata

# Articles MovieLens moves to the end, English and the common European ones.
_ARTICLES = r"The|A|An|Les|La|Le|L'|Il|Lo|I|Gli|Das|Der|Die|Den|Det|El|Los|Las|Un|Una|Une|O|Os|As"
_TRAILING_ARTICLE = re.compile(rf"^(?P<body>.+?), (?P<article>{_ARTICLES})(?P<rest>\s*\(.*\))?$")
_AKA_PREFIX = re.compile(r"^(?:a\.k\.a\.|aka)\s+", re.IGNORECASE)
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


def _trailing_groups(title: str) -> tuple[str, list[str]]:
    """'Eye, The (Gin gwai) (Jian gui)' -> ('Eye, The', ['Gin gwai', 'Jian gui']): balanced (...) at the end."""
    groups: list[str] = []
    rest = title.rstrip()
    while rest.endswith(")"):
        depth = 0
        for i in range(len(rest) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(rest[i], 0)
            if depth == 0:
                break
        else:
            break  # unbalanced: leave it as part of the title
        head, inner = rest[:i].rstrip(), rest[i + 1 : -1].strip()
        if not head or not inner:
            break  # "(500) Days of Summer": the parentheses are the title
        groups.insert(0, inner)
        rest = head
    return rest, groups


def _plain(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).casefold()


def _restore_accents(title: str, others: list[str]) -> str:
    """Words the catalogue wrote without accents that an alternate title writes with them:
    'Amelie' beside 'Le Fabuleux destin d'Amélie Poulain' -> 'Amélie'."""
    accented: dict[str, str] = {}
    for other in others:
        for word in re.findall(r"\w+", other):
            if _plain(word) != word.casefold():
                accented.setdefault(_plain(word), word)

    def fix(m: re.Match[str]) -> str:
        word = m[0]
        found = accented.get(_plain(word))
        if found is None or _plain(word) != word.casefold():
            return word
        return found if word[:1].isupper() == found[:1].isupper() else found.lower()

    return re.sub(r"\w+", fix, title)


def display_title(title: str) -> tuple[str, list[str]]:
    """The title a person reads, and the movie's other titles (for search), from a catalogue title.

    MovieLens puts alternate titles in trailing parentheses, foreign-language or
    "a.k.a.": 'Amelie (Fabuleux destin d'Amélie Poulain, Le)' -> ('Amélie',
    ["Le Fabuleux destin d'Amélie Poulain"]); 'Dumb & Dumber (Dumb and Dumber)'
    -> ('Dumb & Dumber', ['Dumb and Dumber']). Each part gets its article back
    in front (``natural_title``); accents the main title lost are taken from an
    alternate that has them. The year must already be split off (``split_year``).
    """
    main, groups = _trailing_groups(" ".join(title.split()))
    akas: list[str] = []
    for group in groups:
        aka = natural_title(_AKA_PREFIX.sub("", group))
        if aka and aka not in akas:
            akas.append(aka)
    shown = _restore_accents(natural_title(main), akas)
    return shown, [a for a in akas if a != shown]
