"""Lessons and exercises in two languages from one notebook: gettext catalogues (Babel's PO files).

Each lesson and exercise notebook is written once, in English (the *source*). Its Spanish lives in
a PO file, the format translators' tools (Poedit, Weblate, Lokalize) read and write::

    notebooks/00_welcome.ipynb                   ->  assets/locale/es/LC_MESSAGES/lesson-00_welcome.po
    exercises/source/00_welcome/00_welcome.ipynb ->  assets/locale/es/LC_MESSAGES/exercise-00_welcome.po

What a PO file holds, one entry per text (``msgid`` = the English, ``msgstr`` = the Spanish):

* every markdown cell, whole (so its Markdown structure stays the translator's to keep);
* every comment in a code cell (``# Make the picture with seed 11``), one entry per comment;
* every text inside ``_("...")`` in a code cell: the messages a check cell prints or raises.
  ``_`` (``from genlab import _``) translates at run time, into the language of the notebook's
  reader (:func:`genlab.core.i18n.current_language`).

Code itself is never translated: :func:`localize_notebook` changes markdown and comments only, so
the two languages' code is the same by construction, and a test compares them anyway (code
without comments, cell types, nbgrader metadata). When the English of a cell changes,
:func:`update_catalogue` keeps the old Spanish as a *fuzzy* suggestion; fuzzy or empty entries are
not used (the English shows) and ``genlab i18n check`` lists them.

    genlab i18n update      extract the texts of every notebook into its PO file (new ones empty)
    genlab i18n check       list what is untranslated or fuzzy (a test runs this too)
    genlab i18n render 01_first_images --lang es   print the path of a rendering, for a look
"""

from __future__ import annotations

import io
import re
import tokenize
from functools import lru_cache
from pathlib import Path

from genlab import settings
from genlab.core.i18n import LANGUAGES, current_language

SOURCE_LANGUAGE = "en"
LOCALE_DIR = settings.ASSETS_DIR / "locale"
LESSONS_DIR = settings.REPO_ROOT / "notebooks"
EXERCISES_DIR = settings.REPO_ROOT / "exercises" / "source"
# nbgrader's markers and other comments that are code, not prose: never translated.
_NOT_PROSE = re.compile(r"^#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)|^#\s*(noqa|type:|pragma|%%)|^#!", re.I)
_KEYWORDS = {"_": None}


class TranslationError(RuntimeError):
    """A notebook's texts and its catalogue do not match (something untranslated or out of date)."""


# ---- which catalogue belongs to which notebook -------------------------------------------------
def domain_for(notebook: str | Path) -> str:
    """The catalogue name of a notebook: lesson-<name> for notebooks/, exercise-<name> for exercises.

    A released or fetched exercise (``release/01_first_images/01_first_images.ipynb``,
    ``my-assignments/01_first_images/...``) has the same domain as its source.
    """
    path = Path(notebook)
    if path.parent.name == "notebooks" or path.parent.parent.name == "notebooks":
        return f"lesson-{path.stem}"
    return f"exercise-{path.stem}"


def catalogue_path(domain: str, lang: str) -> Path:
    return Path(LOCALE_DIR) / lang / "LC_MESSAGES" / f"{domain}.po"


def source_notebooks() -> list[Path]:
    """Every lesson and exercise notebook written in the source language."""
    lessons = sorted(Path(LESSONS_DIR).glob("[0-9][0-9]_*.ipynb"))
    exercises = sorted(Path(EXERCISES_DIR).glob("*/*.ipynb"))
    return [p for p in lessons + exercises if ".ipynb_checkpoints" not in p.parts]


# ---- texts in a notebook -----------------------------------------------------------------------
def _comments(source: str) -> list[tuple[int, int, str]]:
    """(line, column, comment text) of every comment in a code cell, in order."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens = []  # cells with IPython syntax: fall back to whole-line comments
        for i, line in enumerate(source.splitlines(), start=1):
            stripped = line.lstrip()
            if stripped.startswith("#"):
                tokens.append(tokenize.TokenInfo(tokenize.COMMENT, stripped, (i, len(line) - len(stripped)), (i, len(line)), line))
    return [(tok.start[0], tok.start[1], tok.string) for tok in tokens if tok.type == tokenize.COMMENT]


def _comment_text(comment: str) -> tuple[str, str]:
    """('# ', 'Make the picture') from '# Make the picture'."""
    m = re.match(r"(#+\s*)(.*?)\s*$", comment)
    return m.group(1), m.group(2)


def _is_prose(comment: str) -> bool:
    prefix, text = _comment_text(comment)
    return bool(re.search(r"[A-Za-z]{2,}", text)) and not _NOT_PROSE.match(comment)


def _marked_strings(source: str) -> list[str]:
    """The texts inside _("...") calls (Babel's Python extractor, as for .py files)."""
    from babel.messages.extract import extract_python

    found = []
    try:
        for _lineno, _func, message, _comments_ in extract_python(io.BytesIO(source.encode()), _KEYWORDS, [], {}):
            if isinstance(message, str) and message:
                found.append(message)
    except (SyntaxError, tokenize.TokenError):
        pass
    return found


def texts_of(nb) -> list[tuple[str, str]]:
    """Every translatable text of a notebook, in order: (text, where) with where = "cell N"."""
    out = []
    for i, cell in enumerate(nb.cells):
        where = f"cell {i}"
        if cell.cell_type == "markdown":
            text = cell.source.strip()
            if text and re.search(r"[A-Za-z]{2,}", text):
                out.append((text, where))
        elif cell.cell_type == "code":
            for _line, _col, comment in _comments(cell.source):
                if _is_prose(comment):
                    out.append((_comment_text(comment)[1], where))
            out.extend((text, where) for text in _marked_strings(cell.source))
    return out


# ---- catalogues ----------------------------------------------------------------------------------
def read_catalogue(domain: str, lang: str):
    from babel.messages.pofile import read_po

    path = catalogue_path(domain, lang)
    if not path.is_file():
        return None
    with open(path, "rb") as f:
        return read_po(f, locale=_babel_locale(lang), domain=domain, ignore_obsolete=True)


def _babel_locale(lang: str) -> str:
    return {"es": "es_MX", "en": "en"}.get(lang, lang)


@lru_cache(maxsize=None)
def translations(lang: str) -> dict[str, str]:
    """Every translated text of every catalogue of `lang` (English → translation); fuzzy ones left out."""
    table: dict[str, str] = {}
    folder = Path(LOCALE_DIR) / lang / "LC_MESSAGES"
    if lang == SOURCE_LANGUAGE or not folder.is_dir():
        return table
    for path in sorted(folder.glob("*.po")):
        cat = read_catalogue(path.stem, lang)
        for message in cat:
            if message.id and message.string and not message.fuzzy and isinstance(message.id, str):
                table.setdefault(message.id, message.string)
    return table


def gettext(text: str, lang: str | None = None) -> str:
    """`text` (English) in the reader's language; the English itself when no translation exists.

    In notebooks: ``from genlab import _`` then ``_("Task 1 looks right.")``, or with values
    ``_("The seed is {seed}.").format(seed=seed)`` (translate first, then fill in).
    """
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return text
    return translations(lang).get(text, text)


_ = gettext


def update_catalogue(notebook: str | Path, lang: str = "es") -> tuple[Path, int]:
    """Put the notebook's texts into its catalogue (msgmerge): new texts empty, changed ones fuzzy.

    Returns (the PO file, how many entries still need a translator).
    """
    import nbformat
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    notebook = Path(notebook)
    nb = nbformat.read(notebook, as_version=4)
    domain = domain_for(notebook)
    template = Catalog(locale=None, domain=domain, project="genlab", fuzzy=False)
    rel = notebook.resolve().relative_to(settings.REPO_ROOT) if notebook.resolve().is_relative_to(settings.REPO_ROOT) else notebook
    for text, where in texts_of(nb):
        template.add(text, locations=[(f"{rel}:{where.split()[1]}", None)])
    path = catalogue_path(domain, lang)
    if path.is_file():
        with open(path, "rb") as f:
            cat = read_po(f, locale=_babel_locale(lang), domain=domain)
        cat.update(template, update_header_comment=False, update_creation_date=False)
        cat.obsolete.clear()  # git keeps the history; obsolete entries only confuse translators
    else:
        cat = Catalog(locale=_babel_locale(lang), domain=domain, project="genlab", fuzzy=False,
                      language_team="genlab <es-MX>")
        for message in template:
            if message.id:
                cat.add(message.id, locations=message.locations)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, cat, width=100, omit_header=False, sort_output=False, include_previous=True)
    translations.cache_clear()
    return path, len(missing(notebook, lang))


def missing(notebook: str | Path, lang: str = "es") -> list[str]:
    """The notebook's texts without a usable translation in `lang` (none, empty or fuzzy)."""
    import nbformat

    nb = nbformat.read(Path(notebook), as_version=4)
    cat = read_catalogue(domain_for(notebook), lang)
    out = []
    for text, where in texts_of(nb):
        message = cat.get(text) if cat is not None else None
        if message is None or not message.string or message.fuzzy:
            out.append(f"{where}: {text[:70]!r}")
    return out


# ---- rendering a notebook in one language -----------------------------------------------------------
def _stub_messages(source: str) -> list[tuple[int, int, int, str]]:
    """(line, start, end, text) of each plain string in ``raise NotImplementedError("...")``: the
    message of an unanswered cell (nbgrader's code stub), which a learner reads when it runs."""
    try:
        tokens = [tok for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                  if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    found = []
    for a, b, c, d in zip(tokens, tokens[1:], tokens[2:], tokens[3:]):
        if (a.string, b.string, c.string) == ("raise", "NotImplementedError", "(") and d.type == tokenize.STRING \
                and d.start[0] == d.end[0] and re.fullmatch(r"(['\"]).*\1", d.string):
            found.append((d.start[0], d.start[1], d.end[1], d.string[1:-1]))
    return found


def _translate_comments(source: str, table: dict[str, str]) -> str:
    comments = _comments(source)
    stubs = _stub_messages(source)
    if not comments and not stubs:
        return source
    lines = source.splitlines(keepends=True)
    edits = []  # (line, start, end, new text), applied right to left
    for line_no, col, comment in comments:
        if _is_prose(comment):
            prefix, text = _comment_text(comment)
            if table.get(text):
                edits.append((line_no, col, col + len(comment), prefix + table[text]))
    for line_no, start, end, text in stubs:
        if table.get(text):
            edits.append((line_no, start, end, repr(table[text])))
    for line_no, start, end, new in sorted(edits, reverse=True):
        line = lines[line_no - 1]
        lines[line_no - 1] = line[:start] + new + line[end:]
    return "".join(lines)


def localize_notebook(nb, lang: str, *, strict: bool = False, domain: str | None = None):
    """The notebook with its markdown and comments in `lang` (a copy; code and metadata unchanged).

    The notebook's metadata records the language (``metadata.genlab.lang``): checks and grading read
    it to answer in the same language. With ``strict=True`` a text without translation raises
    TranslationError (tests, releases); otherwise its English stays.
    """
    import copy

    out = copy.deepcopy(nb)
    if lang not in LANGUAGES:
        raise TranslationError(f"Unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}.")
    if lang != SOURCE_LANGUAGE:
        table = translations(lang)
        untranslated = []
        for i, cell in enumerate(out.cells):
            if cell.cell_type == "markdown":
                text = cell.source.strip()
                if text and text in table:
                    cell.source = table[text]
                elif text and re.search(r"[A-Za-z]{2,}", text):
                    untranslated.append(f"cell {i}")
            elif cell.cell_type == "code":
                cell.source = _translate_comments(cell.source, table)
        if strict and untranslated:
            raise TranslationError(
                f"{domain or 'This notebook'}: no {lang} text for {', '.join(untranslated)}. "
                "Run `genlab i18n update`, translate the empty entries of its PO file, then try again."
            )
    out.metadata.setdefault("genlab", {})["lang"] = lang
    return out


def notebook_language(nb, default: str = SOURCE_LANGUAGE) -> str:
    """The language a notebook was rendered in (its metadata), else `default`."""
    lang = (nb.metadata.get("genlab") or {}).get("lang")
    return lang if lang in LANGUAGES else default


def localize_file(path: str | Path, lang: str, *, strict: bool = False, update_checksums: bool = False) -> None:
    """Render the notebook at `path` in `lang`, in place (a fetched exercise, a learner's lesson copy).

    With `update_checksums`, nbgrader's checksums of locked cells follow the new text, so nbgrader
    does not report the translated cells as changed by the learner.
    """
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if notebook_language(nb, default="") == lang:
        return
    if update_checksums:
        out = as_fetched(nb, lang, strict=strict, domain=domain_for(path))
    else:
        out = localize_notebook(nb, lang, strict=strict, domain=domain_for(path))
    nbformat.write(out, path)


def as_fetched(nb, lang: str, *, strict: bool = False, domain: str | None = None):
    """A released exercise as a learner who reads `lang` gets it: localized, nbgrader's checksums
    of the locked cells following the new text (what genlab.course.exchange does on fetch)."""
    from nbgrader import utils

    out = localize_notebook(nb, lang, strict=strict, domain=domain)
    for cell in out.cells:
        meta = cell.metadata.get("nbgrader")
        if meta and "checksum" in meta:
            meta["checksum"] = utils.compute_checksum(cell)
    return out


def code_without_comments(source: str) -> str:
    """A code cell's code as tokens, comments and blank lines dropped: what must match across languages."""
    try:
        tokens = [
            (tok.type, tok.string) for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type not in (tokenize.COMMENT, tokenize.NL)
        ]
        return repr(tokens)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return "\n".join(ln for ln in source.splitlines() if ln.strip() and not ln.lstrip().startswith("#"))


# ---- is anything still in English? --------------------------------------------------------------------
_EN_WORDS = set("""the and of to is are your you with this that it for what which from be not or will can does
do how when where they their there these those has have was were would should could into each than then
only also just about after before here our we if but by at an as one more most any all no yes""".split())
_ES_WORDS = set("""el la los las de que y en un una es son por con para tu tus se no lo del al más como qué
cuál su sus este esta estos estas eso esa pero si ya o u le les te ti hay muy también sin sobre entre
cuando donde porque hasta desde cada otro otra otros otras ni""".split())
_CODE_BLOCK = re.compile(r"```.*?```|~~~.*?~~~", re.S)
_INLINE = re.compile(r"`[^`\n]*`|\$[^$\n]*\$|https?://\S+|<[^>\n]*>")
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|«[^»\n]*»")


# A file path or file name (outputs/01/42-a-red-circle-on-a-blue.png): its words are a prompt's
# slug or a folder's name, not a sentence.
_PATH = re.compile(r"(?:[~.]{0,2}/)?[\w.\-]+(?:/[\w.\-]+)+/?|\b[\w\-]+\.(?:png|jpe?g|webp|gif|mp4|tiff?|csv|json|toml|ipynb|html|xlsx)\b")


def english_sentences(text: str, *, min_words: int = 3) -> list[str]:
    """The sentences of `text` that read as English (code, code spans, links, quoted prompts and file paths left out).

    A sentence counts as English when it has at least `min_words` common English words and more of
    them than common Spanish words: a tool's name or a quoted English prompt in a Spanish sentence
    does not make it English; an English sentence left untranslated does.
    """
    text = _CODE_BLOCK.sub(" ", text)
    text = _INLINE.sub(" ", text)
    text = _QUOTED.sub(" ", text)
    text = _PATH.sub(" ", text)
    found = []
    for sentence in re.split(r"(?<=[.!?:;])\s+|\n\s*\n|\n\s*[-*>|#]+\s*|\|", text):
        words = re.findall(r"[A-Za-zÁÉÍÓÚÑáéíóúñü']+", sentence.lower())
        en = sum(w in _EN_WORDS for w in words)
        es = sum(w in _ES_WORDS for w in words)
        if en >= min_words and en > es:
            found.append(" ".join(sentence.split())[:160])
    return found


def english_in_notebook(nb) -> list[str]:
    """English sentences a reader of `nb` sees: its markdown and the comments of its code cells."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found += [f"cell {i}: {s}" for s in english_sentences(cell.source)]
        elif cell.cell_type == "code":
            for _line, _col, comment in _comments(cell.source):
                found += [f"cell {i} comment: {s}" for s in english_sentences(_comment_text(comment)[1])]
    return found
