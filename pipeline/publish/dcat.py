"""``dcat.jsonld`` and ``dcat.ttl``: the DCAT-AP 3 record of the dataset and its distributions.

The record conforms to the DCAT-AP 3.0.1 SHACL shapes (mandatory, ranges, and the recommended
properties of the dataset and its distributions). Every vocabulary IRI it uses (EU data theme,
frequency, licence, language, file type, availability, access right; ADMS licence and publisher
types; IANA media types; SPDX checksum algorithm) carries its ``rdf:type`` and, for a concept,
its ``skos:prefLabel`` and scheme, so the record validates without the vocabularies loaded.

Every node has an IRI (no blank nodes), values are sorted and keys are sorted, so the same
metadata always gives the same bytes, in JSON-LD and in the Turtle that rdflib writes from it.

It is also written for CKAN's harvester (ckanext-dcat, profile ``euro_dcat_ap_3``), which reads
only some properties and only in some ways:

- licence: it takes the first ``dct:license`` of the distributions and looks its IRI up among the
  ``url`` of the portal's licence register, then its ``dct:title`` among the titles. So every
  distribution names the licence text (``https://creativecommons.org/licenses/by/4.0/``, the
  ``url`` of ``CC-BY-4.0`` in the Open Definition register), whose ``dct:title`` is CKAN's own
  title of it (``Creative Commons Attribution``, ``cc-by`` of CKAN's default register), and which
  is ``owl:sameAs`` the EU vocabulary's licence. DCAT-AP allows one ``dct:license`` per
  distribution and does not require the EU vocabulary for it. The licence node has no
  ``rdfs:label``: CKAN would read a label in place of the IRI.
- landing page: ``dcat:landingPage`` → ``url`` (the page, too, has no ``rdfs:label``).
- place: each ``dct:spatial`` IRI → ``spatial_uri`` (one: CKAN keeps the last it reads), the
  location's ``rdfs:label`` (after its ``skos:prefLabel``) → ``spatial_text``, ``locn:geometry``
  → ``spatial``, ``dcat:bbox`` and ``dcat:centroid`` → ``spatial_bbox`` and ``spatial_centroid``.
  A location has one ``rdfs:label`` (English) so that the text does not depend on the order of
  the triples; ``skos:prefLabel`` and ``locn:geographicName`` give both languages.
- dates: ``dct:issued`` (the first release, the same every year) and ``dct:modified`` (this
  release) → ``issued`` and ``modified``.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass

from pipeline import __version__
from pipeline.catalogue.models import Text
from pipeline.publish.config import Licence, slug
from pipeline.publish.files import STANDARDS, FileSpec
from pipeline.publish.metadata import Meta

EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
SPDX = "http://spdx.org/rdf/terms#"
LICENCE_TYPE = "http://purl.org/adms/licencetype/"
PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
OWL = "http://www.w3.org/2002/07/owl#"
REGI = EU + "data-theme/REGI"
ANNUAL = EU + "frequency/ANNUAL"

CONTEXT = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatap": "http://data.europa.eu/r5r/",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "locn": "http://www.w3.org/ns/locn#",
    "owl": OWL,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": SPDX,
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

SCHEMES = {
    EU + "data-theme": "Data theme",
    EU + "frequency": "Frequency",
    EU + "licence": "Licence",
    EU + "language": "Language",
    EU + "file-type": "File type",
    EU + "planned-availability": "Planned availability",
    EU + "access-right": "Access right",
    EU + "country": "Country",
    EU + "place": "Place",
    LICENCE_TYPE + "1.0": "Licence type",
    PUBLISHER_TYPE + "1.0": "Publisher type",
}
LANGUAGES = {"ENG": Text(en="English", pl="angielski"), "POL": Text(en="Polish", pl="polski")}
CKAN_LICENCE_TITLES = {
    "CC-BY-": "Creative Commons Attribution",
    "CC-BY-SA-": "Creative Commons Attribution Share-Alike",
    "CC0-1.0": "Creative Commons CCZero",
    "ODbL-1.0": "Open Data Commons Open Database License (ODbL)",
    "ODC-By-1.0": "Open Data Commons Attribution License",
    "PDDL-1.0": "Open Data Commons Public Domain Dedication and License (PDDL)",
    "OGL-UK-3.0": "UK Open Government Licence (OGL)",
}
"""Titles of CKAN's default licence register (``ckan.model.license``, CKAN 2.12), by SPDX id
(a key ending in ``-`` matches every version): ckanext-dcat matches a licence's ``dct:title``
against them. The titles are not versioned: ``cc-by`` stands for every CC BY."""


@dataclass(frozen=True)
class Published:
    """A file of the bundle with its size and SHA-256."""

    spec: FileSpec
    bytes: int
    sha256: str


def lit(text: str, lang: str | None = None) -> dict:
    return {"@value": text, "@language": lang} if lang else {"@value": text}


def texts(t: Text) -> list[dict]:
    return [lit(t.en, "en"), lit(t.pl, "pl")]


def ref(iri: str) -> dict:
    return {"@id": iri}


def typed(value: str, datatype: str) -> dict:
    return {"@value": value, "@type": datatype}


def _key(v: object) -> str:
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


class Graph:
    """Nodes by IRI; adding to a node merges its properties."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, list]] = {}

    def add(self, iri: str, types: str | list[str], **props: object) -> str:
        node = self.nodes.setdefault(iri, {})
        for t in [types] if isinstance(types, str) else types:
            node.setdefault("@type", [])
            if t not in node["@type"]:
                node["@type"].append(t)
        for name, value in props.items():
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            slot = node.setdefault(name.replace("__", ":"), [])
            slot.extend(v for v in values if v not in slot)
        return iri

    def concept(self, iri: str, scheme: str, label: Text | str, *types: str) -> dict:
        self.add(scheme, "skos:ConceptScheme", dct__title=lit(SCHEMES[scheme], "en"))
        labels = texts(label) if isinstance(label, Text) else [lit(label, "en")]
        self.add(iri, ["skos:Concept", *types], skos__prefLabel=labels, skos__inScheme=ref(scheme))
        return ref(iri)

    def document(self) -> dict:
        graph = []
        for iri in sorted(self.nodes):
            node: dict = {"@id": iri}
            for name, values in self.nodes[iri].items():
                values = sorted(values, key=_key)
                node[name] = values[0] if len(values) == 1 else values
            graph.append(node)
        return {"@context": CONTEXT, "@graph": graph}


def ckan_licence_title(licence: Licence) -> str:
    """The ``dct:title`` of the licence: configured, else CKAN's title of its SPDX id, else its own title."""
    if licence.ckan_title:
        return licence.ckan_title
    for key, title in CKAN_LICENCE_TITLES.items():  # CC-BY-4.0 is CC-BY-'s, CC-BY-SA-4.0 and CC-BY-NC-4.0 are not
        if licence.id == key or (key.endswith("-") and re.fullmatch(re.escape(key) + r"[0-9.]+", licence.id)):
            return title
    return licence.title


def _words(identifier: str) -> str:
    """``LocalAuthority`` → ``Local authority``."""
    out = "".join(" " + c.lower() if c.isupper() and i else c for i, c in enumerate(identifier))
    return out.replace("-", " ").replace("  ", " ").replace("(s)", "")


def record(meta: Meta, files: list[Published]) -> dict:
    """The DCAT-AP record of the dataset, as a JSON-LD document."""
    g = Graph()
    cfg = meta.config
    issued = typed(meta.first_issued.isoformat(), "xsd:date")
    modified = typed(meta.release_date.isoformat(), "xsd:date")

    lic = cfg.licence
    licence_type = g.concept(LICENCE_TYPE + lic.type.value, LICENCE_TYPE + "1.0", _words(lic.type.value))
    g.concept(lic.uri, EU + "licence", lic.title, "dct:LicenseDocument")
    g.add(lic.uri, "dct:LicenseDocument", dct__title=lit(lic.title, "en"), dct__type=licence_type,
          rdfs__seeAlso=ref(lic.url) if lic.url != lic.uri else None)
    # What the distributions name: the licence text, titled as CKAN's register titles it (see above).
    licence = g.add(lic.url, "dct:LicenseDocument", dct__title=lit(ckan_licence_title(lic), "en"),
                    dct__type=licence_type, owl__sameAs=ref(lic.uri) if lic.url != lic.uri else None)

    pub = meta.publisher
    publisher = g.add(meta.publisher_iri, ["foaf:Agent", "foaf:Organization"], foaf__name=lit(pub.name),
                      dct__type=g.concept(PUBLISHER_TYPE + pub.type.value, PUBLISHER_TYPE + "1.0", _words(pub.type.value)),
                      foaf__homepage=ref(pub.homepage) if pub.homepage else None)
    contact = g.add(f"{meta.iri}#contact", ["vcard:Kind", "vcard:Organization"], vcard__fn=lit(meta.contact.name),
                    vcard__hasEmail=ref(f"mailto:{meta.contact.email}"),
                    vcard__hasURL=ref(meta.contact.url) if meta.contact.url else None)
    period = g.add(f"{meta.iri}#period", "dct:PeriodOfTime",
                   dcat__startDate=typed(f"{meta.first_year}-01-01", "xsd:date"),
                   dcat__endDate=typed(f"{meta.last_year}-12-31", "xsd:date"))
    places = []
    for c in meta.cities:
        loc = c.location
        geometry = loc.bbox or loc.centroid
        place = g.add(loc.uri or f"{meta.iri}#location-{slug(c.code)}", "dct:Location",
                      locn__geographicName=texts(c.name), skos__prefLabel=texts(c.name), rdfs__label=lit(c.name.en, "en"),
                      dct__identifier=lit(c.code),
                      locn__geometry=typed(geometry, "gsp:wktLiteral") if geometry else None,
                      dcat__centroid=typed(loc.centroid, "gsp:wktLiteral") if loc.centroid else None,
                      dcat__bbox=typed(loc.bbox, "gsp:wktLiteral") if loc.bbox else None)
        for scheme in (EU + "place", EU + "country"):  # an EU authority place is a concept of its scheme
            if place.startswith(scheme + "/"):
                g.add(scheme, "skos:ConceptScheme", dct__title=lit(SCHEMES[scheme], "en"))
                g.add(place, "skos:Concept", skos__inScheme=ref(scheme))
        places.append(ref(place))
    standards = []
    for ed in meta.editions:
        standards.append(ref(g.add(meta.standard_iri(ed.id), "dct:Standard", dct__title=texts(ed.title),
                                   dct__identifier=lit(ed.id))))
    provenance = g.add(f"{meta.iri}#provenance", "dct:ProvenanceStatement", rdfs__label=texts(Text(
        en=(f"Computed with iso37120-pipeline {__version__} from the input figures in observations.csv (each with its "
            "input file, row and SHA-256) and the source register in sources.csv; indicator_inputs.csv links every "
            "value to its inputs."),
        pl=(f"Obliczone programem iso37120-pipeline {__version__} z danych wejściowych w observations.csv (każda z "
            "plikiem, wierszem i skrótem SHA-256) i rejestru źródeł w sources.csv; indicator_inputs.csv łączy każdą "
            "wartość z jej danymi wejściowymi."))))

    distributions = []
    for f in files:
        s = f.spec
        media = g.add(IANA + s.media_type, "dct:MediaType", rdfs__label=lit(s.media_type))
        checksum = g.add(f"{meta.iri}#checksum-{slug(s.filename)}", "spdx:Checksum",
                         spdx__algorithm=ref(g.add(SPDX + "checksumAlgorithm_sha256", "spdx:ChecksumAlgorithm")),
                         spdx__checksumValue=typed(f.sha256, "xsd:hexBinary"))
        conforms = [ref(g.add(iri, "dct:Standard", dct__title=lit(STANDARDS[iri], "en"))) for iri in s.conforms_to]
        distributions.append(ref(g.add(
            f"{meta.iri}#distribution-{slug(s.filename)}", "dcat:Distribution",
            dct__title=texts(s.title), dct__description=texts(s.description),
            dcat__accessURL=ref(meta.url(s.filename)), dcat__downloadURL=ref(meta.url(s.filename)),
            dct__format=g.concept(EU + "file-type/" + s.file_type, EU + "file-type", s.file_type.replace("PARQUET", "Parquet"),
                                  "dct:MediaTypeOrExtent"),
            dcat__mediaType=ref(media),
            dcat__byteSize=typed(str(f.bytes), "xsd:nonNegativeInteger"),
            spdx__checksum=ref(checksum),
            dct__license=ref(licence),
            dcatap__availability=g.concept(EU + "planned-availability/STABLE", EU + "planned-availability",
                                           Text(en="stable", pl="stabilna")),
            dct__conformsTo=conforms,
            dct__issued=issued, dct__modified=modified,
        )))

    g.add(meta.iri, "dcat:Dataset",
          dct__title=texts(meta.title), dct__description=texts(meta.description),
          dct__identifier=lit(meta.dataset_id),
          dcat__landingPage=ref(g.add(meta.landing_page, "foaf:Document")) if meta.landing_page else None,
          dct__publisher=ref(publisher), dcat__contactPoint=ref(contact),
          dcat__keyword=[lit(k, "en") for k in meta.keywords_en] + [lit(k, "pl") for k in meta.keywords_pl],
          dcat__theme=g.concept(REGI, EU + "data-theme", Text(en="Regions and cities", pl="Regiony i miasta")),
          dct__spatial=places, dct__temporal=ref(period),
          dct__accrualPeriodicity=g.concept(ANNUAL, EU + "frequency", Text(en="annual", pl="roczny"), "dct:Frequency"),
          dct__language=[g.concept(EU + "language/" + code, EU + "language", label, "dct:LinguisticSystem")
                         for code, label in LANGUAGES.items()],
          dct__conformsTo=standards,
          dcat__version=lit(meta.version), adms__versionNotes=texts(meta.version_notes),
          dct__issued=issued, dct__modified=modified,
          dct__accessRights=g.concept(EU + "access-right/PUBLIC", EU + "access-right", Text(en="public", pl="publiczny"),
                                      "dct:RightsStatement"),
          dct__provenance=ref(provenance),
          dcat__distribution=distributions)
    return g.document()


def to_json(doc: dict) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def to_turtle(jsonld: bytes) -> bytes:
    """The same record in Turtle (rdflib), with the record's prefixes."""
    from rdflib import Graph as RdfGraph

    g = RdfGraph()
    with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        g.parse(data=jsonld.decode("utf-8"), format="json-ld")
    for prefix, ns in CONTEXT.items():
        g.bind(prefix, ns, override=True, replace=True)
    return g.serialize(format="turtle", encoding="utf-8")
