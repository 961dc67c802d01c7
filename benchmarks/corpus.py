"""A deterministic corpus of fictional organisations with known facts, and queries about them.

Nothing is downloaded. Each document describes one made-up organisation (a manufacturer, a
research institute or a ferry operator) in several paragraphs of plain prose; its facts (name,
town, region, founding year, founder, what it makes or studies, a catalogue code, staff) are
stated in the text, so every query has a known right document and, for questions, a known answer:

* ``dense``: a paraphrase that avoids the document's own wording and its name;
* ``keyword``: the organisation's catalogue code (``KX-48213``), an identifier only BM25 finds;
* ``question``: a question for ``/api/v1/query`` whose answer (a year, a name, a town, a count)
  appears in the document.

The same seed always gives the same corpus, and the first N documents of a bigger corpus are the
N-document corpus, so sizes are comparable. With 250-token chunks a document makes about
:data:`CHUNKS_PER_DOC` chunks; :func:`documents_for_chunks` sizes a corpus for 1k/10k/100k chunks.
The command line writes ``corpus.jsonl`` (API bodies) and ``queries.json``:

    .venv/bin/python -m benchmarks.corpus --chunks 1000 --out /tmp/corpus
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

CHUNK_SIZE = 250
"""Word pieces per chunk of the benchmark collection (the default; what CHUNKS_PER_DOC assumes)."""
CHUNK_OVERLAP = 32
CHUNKS_PER_DOC = 3
"""Chunks one document makes at CHUNK_SIZE (measured with the shipped tokenizer, rounded)."""
MAX_DOCS = 90_000
"""Catalogue codes stay unique up to this many documents."""

QueryKind = Literal["dense", "keyword", "question"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SYLLABLES = _words(
    "vel mor an tis kar bel dor ren quil sa tho lin gar ves pra nol ost wen fal cor dra hem "
    "ith lo mer pen su tal bry cas dun el fen gro hal isk jor kel lum nar oth pell rud sor "
    "tuv ul var wyn"
)
_TOWN_ENDINGS = ("by", "ford", "haven", "wick", "mouth", "stead", "holm", "gate", "dale", "port")
_REGIONS = (
    "Northmarch",
    "Saltreach",
    "Eastern Fells",
    "Low Carrow",
    "Ambermoor",
    "Tessel Coast",
    "Upper Wendale",
    "Greyhollow",
    "Lantern Isles",
    "Ostvale",
    "Brackenshire",
    "Cold Ridge",
)
_FIRST = _words(
    "Orla Tomas Ines Marek Saoirse Bram Lotte Emil Anouk Dario Hedda Ilya Maren Osric Petra "
    "Ruben Sigrid Teodor Una Viggo Wren Yara Anselm Brigid Cato Delphine Evander Freya Gideon "
    "Halina Ivo Juno Kasimir Leocadia Mattias Nerys Odile Pascal Quilla Rosalind"
)
_LAST = _words(
    "Penhallow Okonkwo Vasquez Lindqvist Marchetti Abernethy Kowalczyk Thorne Delacroix "
    "Haverford Nakamura Brennagh Castellan Oyelaran Wintermere Falkenrath Dubois Mbeki Rasmussen "
    "Quenneville Sorensen Achterberg Iorwerth Gallardo Pemberton Szabo Villanueva Holloway "
    "Ferreira Eskildsen Adebayo Trevelyan Montague Kovacs Lachance Oduya Strand Calloway"
)

_KINDS = {
    "manufacturer": (
        "Instruments",
        "Works",
        "Foundry",
        "Fabrication",
        "Engineering",
        "Manufacturing",
    ),
    "institute": ("Institute", "Research Station", "Laboratory", "Observatory", "Field Centre"),
    "ferry": ("Ferries", "Sound Line", "Crossing Company", "Maritime", "Island Service"),
}
# (what it makes or studies, how a paraphrase names it without the document's words)
_FOCUS = {
    "manufacturer": (
        ("tide gauges", "instruments that record sea level"),
        ("ceramic valves", "clay-based flow regulators"),
        ("bicycle frames", "the skeletons of pedal cycles"),
        ("hearing aids", "devices that help people with hearing loss"),
        ("greenhouse sensors", "monitors for glasshouse climate"),
        ("weaving looms", "machines for making cloth"),
        ("pressure cookers", "sealed pots that cook food fast"),
        ("wind turbine blades", "rotor parts for wind power"),
        ("surgical lamps", "lights for operating theatres"),
        ("printing presses", "machines that put ink on paper"),
        ("water filters", "equipment that cleans drinking water"),
        ("beehive frames", "equipment for beekeepers"),
    ),
    "institute": (
        ("glacier hydrology", "how meltwater moves through ice"),
        ("soil microbiology", "the bacteria living in farmland"),
        ("coastal erosion", "how the sea wears away the shoreline"),
        ("seabird migration", "the journeys of ocean birds"),
        ("peat bog carbon", "carbon stored in wetlands"),
        ("lichen ecology", "slow-growing fungus and algae partnerships"),
        ("volcanic gases", "fumes released by volcanoes"),
        ("river sediment", "mud and sand carried downstream"),
        ("kelp forests", "underwater seaweed woodland"),
        ("storm forecasting", "predicting severe weather"),
    ),
    "ferry": (
        ("car ferries", "boats that carry vehicles across the water"),
        ("night crossings", "overnight sailings"),
        ("freight barges", "flat boats moving cargo"),
        ("island mail boats", "post delivery by sea"),
        ("passenger catamarans", "twin-hulled people carriers"),
        ("livestock transport", "moving farm animals by boat"),
    ),
}
_ADJ = _words("quiet busy windswept sheltered old-fashioned modern steep narrow broad misty")
_LAND = _words("harbour estuary moorland hillside valley headland marsh creek plateau bay")
_SEASON = ("spring", "summer", "autumn", "winter", "the wet season", "the long evenings")
_FILLER = (
    "Visitors to {town} often remark on the {adj} {land} and the smell of salt and woodsmoke.",
    "The town council of {town} meets every second Thursday in a hall near the {land}.",
    "Local historians describe {region} as a place where trades were handed down in families.",
    "In {season} the road into {town} can close for days, so deliveries are planned weeks ahead.",
    "A small museum on the {adj} high street keeps photographs of the early workshops.",
    "Apprentices usually spend their first year learning from senior staff on the floor.",
    "The organisation publishes a short newsletter that goes to suppliers and former employees.",
    "Several neighbouring businesses share a loading yard that was built beside the {land}.",
    "Rail services to {town} were cut decades ago, and most goods now travel by road or sea.",
    "Staff describe the working culture as careful, practical and rather informal.",
    "A community choir rehearses in the canteen on Wednesday nights during {season}.",
    "The annual open day draws families from across {region}, weather permitting.",
    "Energy for the main building comes partly from solar panels fitted on the south roof.",
    "Records from the first decades were partly lost in a flood and later rebuilt from letters.",
    "Newcomers to {town} tend to stay, drawn by cheap housing and the {adj} {land}.",
    "Its sports club has entered a rowing crew in the {region} regatta most years.",
    "The nearest hospital is an hour's drive away, which shaped the site's safety rules.",
    "Suppliers from outside {region} complain about the roads, but they keep coming back.",
    "The founders' original desk still stands in the entrance hall under a glass cover.",
    "Weekly planning meetings are short, standing, and held before the first shift begins.",
    "A bakery across the road supplies the canteen, and its owner knows most staff by name.",
    "The car park floods after heavy rain, a problem that every new manager promises to fix.",
    "Most of the workforce lives within cycling distance, and the bike shed is always full.",
    "Grants from the {region} development fund paid for a new roof in the nineties.",
    "The building's clock tower can be seen from the ferry landing on a clear day.",
    "Former employees meet for a reunion dinner every {season} in a pub near the {land}.",
    "Inspectors from the regional authority visit twice a year and have rarely found fault.",
    "A wall of the reception area is covered with postcards sent by customers and partners.",
    "School groups from {town} visit in {season} to see how the work is actually done.",
    "Internet access arrived late in {town}, and the old fax machine was kept until recently.",
    "The staff library lends technical manuals alongside novels and local history books.",
    "Wildlife on the {land} includes otters, herons and, in some years, a pair of sea eagles.",
)


@dataclass(frozen=True, slots=True)
class Document:
    """One document as ``POST /api/v1/collections/{name}/documents`` takes it, plus its facts."""

    id: str
    text: str
    source: str
    metadata: dict[str, str | int]
    name: str
    kind: str
    town: str
    region: str
    founded: int
    founder: str
    focus: str
    focus_paraphrase: str
    code: str
    staff: int

    def api_body(self) -> dict[str, object]:
        """The document as a JSON item of the documents route."""
        return {"id": self.id, "text": self.text, "source": self.source, "metadata": self.metadata}


@dataclass(frozen=True, slots=True)
class Query:
    """A query with the document that answers it (and the answer, for questions)."""

    kind: QueryKind
    text: str
    document_id: str
    answer: str = ""


def documents_for_chunks(chunks: int) -> int:
    """How many documents make about ``chunks`` chunks at :data:`CHUNK_SIZE`."""
    return max(1, min(MAX_DOCS, round(chunks / CHUNKS_PER_DOC)))


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables)).capitalize()


def _paragraph(lead: list[str], filler: list[str], count: int, slots: dict[str, str]) -> str:
    picked = [filler.pop().format(**slots) for _ in range(count)]
    return " ".join(lead + picked)


def _document(index: int, rng: random.Random, taken: set[str]) -> Document:
    kind = rng.choice(sorted(_KINDS))
    while True:
        name = f"{_word(rng, rng.choice((2, 3)))} {rng.choice(_KINDS[kind])}"
        if name not in taken:
            taken.add(name)
            break
    town = _word(rng, 2) + rng.choice(_TOWN_ENDINGS)
    region = rng.choice(_REGIONS)
    founder = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    founded = rng.randint(1852, 2012)
    focus, paraphrase = rng.choice(_FOCUS[kind])
    # 7919 is prime and does not divide 90,000: codes are unique for the first MAX_DOCS docs.
    code = f"{name[:2].upper()}-{10_000 + (index * 7919 + 4231) % MAX_DOCS}"
    staff = rng.randint(12, 4800)
    slots = {
        "town": town,
        "region": region,
        "adj": rng.choice(_ADJ),
        "land": rng.choice(_LAND),
        "season": rng.choice(_SEASON),
    }
    what = {
        "manufacturer": f"a manufacturer of {focus}",
        "institute": f"a research institute that studies {focus}",
        "ferry": f"a shipping company operating {focus}",
    }[kind]
    surname = founder.split()[-1]
    filler = rng.sample(_FILLER, 21)  # no sentence twice in one document
    paragraphs = [
        _paragraph(
            [
                f"{name} is {what}, based in {town} in the {region} region.",
                f"It was founded in {founded} by {founder}.",
            ],
            filler,
            3,
            slots,
        ),
        _paragraph(
            [
                f"{surname} started the venture in a rented shed at the edge of {town}.",
                f"The early years were hard, and the first work on {focus} was done by hand.",
            ],
            filler,
            4,
            slots,
        ),
        _paragraph(
            [
                f"Today {name} employs {staff:,} people.",
                f"Its best-known catalogue entry is {code}, a reference that buyers and "
                f"researchers quote when ordering or citing its work on {focus}.",
            ],
            filler,
            4,
            slots,
        ),
        _paragraph([f"Life in {town} shapes the organisation."], filler, 5, slots),
        _paragraph(
            [f"Since {founded}, {name} has stayed in {town}, close to the {slots['land']}."],
            filler,
            5,
            slots,
        ),
    ]
    doc_id = f"org-{index:06d}"
    return Document(
        id=doc_id,
        text=f"{name}\n\n" + "\n\n".join(paragraphs),
        source=f"corpus/{doc_id}.txt",
        metadata={"kind": kind, "region": region, "founded": founded},
        name=name,
        kind=kind,
        town=town,
        region=region,
        founded=founded,
        founder=founder,
        focus=focus,
        focus_paraphrase=paraphrase,
        code=code,
        staff=staff,
    )


def generate_corpus(n_docs: int, seed: int = 7) -> list[Document]:
    """``n_docs`` documents; the same seed gives the same documents, in the same order."""
    if not 0 < n_docs <= MAX_DOCS:
        raise ValueError(f"n_docs must be in 1..{MAX_DOCS}, got {n_docs}")
    rng = random.Random(seed)
    taken: set[str] = set()
    return [_document(i, rng, taken) for i in range(n_docs)]


def _questions(doc: Document) -> list[tuple[str, str]]:
    return [
        (f"When was {doc.name} founded?", str(doc.founded)),
        (f"Who founded {doc.name}?", doc.founder),
        (f"Where is {doc.name} based?", doc.town),
        (f"How many people work at {doc.name}?", f"{doc.staff:,}"),
    ]


def generate_queries(docs: list[Document], per_kind: int, seed: int = 11) -> list[Query]:
    """``per_kind`` queries of each kind about documents drawn from ``docs``, interleaved."""
    rng = random.Random(seed)
    picks = [rng.choice(docs) for _ in range(per_kind)]
    out: list[Query] = []
    for doc in picks:
        surname = doc.founder.split()[-1]
        dense = rng.choice(
            (
                f"organisation in {doc.town} working on {doc.focus_paraphrase}",
                f"which group set up by {surname} deals with {doc.focus_paraphrase}?",
                f"{doc.focus_paraphrase} - the one from {doc.town} in {doc.region}",
            )
        )
        keyword = rng.choice((doc.code, f"catalogue {doc.code}", f"{doc.code} reference"))
        question, answer = rng.choice(_questions(doc))
        out += [
            Query("dense", dense, doc.id),
            Query("keyword", keyword, doc.id),
            Query("question", question, doc.id, answer),
        ]
    return out


def write(out: Path, docs: list[Document], queries: list[Query]) -> None:
    """``corpus.jsonl`` (one API document per line) and ``queries.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(doc.api_body()) + "\n")
    (out / "queries.json").write_text(json.dumps([asdict(q) for q in queries], indent=1) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1000, help="about this many chunks")
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    corpus = generate_corpus(documents_for_chunks(args.chunks), seed=args.seed)
    write(args.out, corpus, generate_queries(corpus, args.queries, seed=args.seed + 4))
    print(f"{len(corpus)} documents, {args.queries * 3} queries -> {args.out}")
