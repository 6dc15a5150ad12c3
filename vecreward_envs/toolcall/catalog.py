"""The tool catalog: 240 typed tools over 24 domains, generated once from a fixed seed (data, not a hot path).

Every parameter has a JSON-schema type (string, integer, number, enum, boolean, list of strings), a
description, a required flag, and a *kind* that tells the task generator how to draw its values and how a
request states them (a date is written out in words, a distance in kilometres or miles, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

CATALOG_SEED = 20250417
"""The catalog is the same for every task and config."""

DOMAINS: tuple[tuple[str, str, tuple[str, str]], ...] = (
    ("travel", "city", ("flights", "trains")), ("hotel", "city", ("rooms", "reviews")),
    ("weather", "city", ("forecast", "alerts")), ("maps", "city", ("routes", "places")),
    ("restaurant", "city", ("tables", "menus")), ("events", "city", ("concerts", "tickets")),
    ("realestate", "city", ("listings", "viewings")), ("rideshare", "city", ("rides", "drivers")),
    ("contacts", "person", ("entries", "groups")), ("email", "person", ("messages", "drafts")),
    ("calendar", "person", ("meetings", "reminders")), ("chat", "person", ("threads", "invites")),
    ("payments", "person", ("transfers", "invoices")), ("health", "person", ("appointments", "records")),
    ("fitness", "person", ("workouts", "goals")), ("hr", "person", ("leave_requests", "reviews")),
    ("docs", "title", ("documents", "comments")), ("notes", "title", ("notes", "folders")),
    ("music", "title", ("songs", "playlists")), ("video", "title", ("movies", "episodes")),
    ("news", "title", ("articles", "digests")), ("recipes", "title", ("recipes", "shopping_lists")),
    ("shop", "title", ("orders", "products")), ("tasks", "title", ("tasks", "projects")),
)
"""(domain, kind of its primary parameter, its two objects)."""

ACTIONS: tuple[tuple[str, str], ...] = (
    ("search", "Search"), ("get", "Get"), ("create", "Create"), ("update", "Update"), ("cancel", "Cancel"),
)
"""(name part, verb) of the five actions every object has."""

CITIES = ("Paris", "Lyon", "Berlin", "Munich", "Madrid", "Seville", "Rome", "Milan", "Vienna", "Prague", "Oslo",
          "Bergen", "Lisbon", "Porto", "Dublin", "Cork", "Zurich", "Geneva", "Athens", "Krakow", "Warsaw", "Tallinn",
          "Riga", "Helsinki", "Stockholm", "Malmo", "Copenhagen", "Aarhus", "Brussels", "Ghent", "Amsterdam",
          "Utrecht", "Boston", "Denver", "Austin", "Seattle", "Toronto", "Montreal", "Osaka", "Kyoto")
PEOPLE = ("Alice Martin", "Bruno Costa", "Chen Wei", "Dana Cohen", "Elif Yilmaz", "Farah Khan", "Goran Petrov",
          "Hana Sato", "Ivan Horvat", "Julia Novak", "Kofi Mensah", "Lena Vogel", "Mateo Ruiz", "Nina Berg",
          "Omar Haddad", "Priya Nair", "Quinn Byrne", "Rosa Silva", "Sven Larsen", "Tara Okafor", "Uma Das",
          "Victor Lemaire", "Wen Li", "Ximena Diaz", "Yusuf Demir", "Zoe Fischer")
TITLES = ("quarterly report", "garden plan", "team offsite", "budget review", "launch checklist", "reading list",
          "weekly summary", "travel notes", "kitchen remodel", "onboarding guide", "research draft", "sales deck",
          "holiday party", "tax documents", "roadmap", "birthday gift", "workshop agenda", "product backlog",
          "morning playlist", "jazz classics", "pasta night", "winter coat", "study schedule", "press release")
TAGS = ("urgent", "family", "work", "travel", "finance", "health", "music", "shared", "archive", "draft",
        "weekend", "review", "personal", "client", "idea")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass(frozen=True)
class KindSpec:
    """How a parameter kind is typed and described."""

    names: tuple[str, ...]
    type: str
    description: str
    enum: tuple[str, ...] = ()


KINDS: dict[str, KindSpec] = {
    "city": KindSpec(("city", "location", "destination"), "string", "City name, as the user gives it."),
    "person": KindSpec(("contact", "recipient", "person"), "string", "Full name of the person."),
    "title": KindSpec(("title", "query", "subject"), "string", "Title or search text."),
    "date": KindSpec(("date", "start_date", "due_date"), "string", "Date in YYYY-MM-DD format."),
    "count": KindSpec(("limit", "count", "days"), "integer", "A whole number."),
    "distance": KindSpec(("radius", "distance"), "number", "Distance in kilometres."),
    "weight": KindSpec(("weight", "max_weight"), "number", "Weight in kilograms."),
    "temperature": KindSpec(("temperature", "target_temp"), "number", "Temperature in degrees Celsius."),
    "priority": KindSpec(("priority",), "enum", "Priority level.", ("low", "medium", "high")),
    "sort": KindSpec(("sort_by",), "enum", "Sort order of the results.", ("price", "rating", "date", "relevance")),
    "language": KindSpec(("language",), "enum", "Language code.", ("en", "fr", "de", "es", "it")),
    "flag": KindSpec(("include_details", "notify", "public"), "boolean", "Whether to turn this option on."),
    "tags": KindSpec(("tags", "labels"), "list", "List of tag words."),
}
"""Every parameter kind."""
NUMBER_KINDS = ("distance", "weight", "temperature")
"""Kinds a ``unit`` constraint can target (the request states them in another unit)."""
EXTRA_KINDS = ("date", "count", "distance", "weight", "temperature", "priority", "sort", "language", "flag", "tags")


@dataclass(frozen=True)
class Param:
    """One parameter of a tool."""

    name: str
    kind: str
    type: str
    description: str
    required: bool
    enum: tuple[str, ...] = ()

    def schema(self) -> dict[str, object]:
        """The JSON-schema of this parameter."""
        if self.type == "enum":
            return {"type": "string", "enum": list(self.enum), "description": self.description}
        if self.type == "list":
            return {"type": "array", "items": {"type": "string"}, "description": self.description}
        return {"type": self.type, "description": self.description}


@dataclass(frozen=True)
class Tool:
    """One tool of the catalog."""

    id: int
    name: str
    domain: str
    verb: str
    obj: str
    description: str
    params: tuple[Param, ...]

    def schema(self) -> dict[str, object]:
        """The tool as a JSON-schema function description."""
        return {
            "name": self.name, "description": self.description,
            "parameters": {"type": "object", "properties": {p.name: p.schema() for p in self.params},
                           "required": [p.name for p in self.params if p.required]},
        }

    def kinds(self) -> tuple[str, ...]:
        """Kinds of the parameters, in order."""
        return tuple(p.kind for p in self.params)


@lru_cache(maxsize=1)
def catalog() -> tuple[Tool, ...]:
    """The 240 tools (24 domains x 2 objects x 5 actions), the same on every call."""
    rng = np.random.default_rng(CATALOG_SEED)
    tools: list[Tool] = []
    for domain, primary, objects in DOMAINS:
        for obj in objects:
            for action, verb in ACTIONS:
                n_extra = int(rng.integers(1, 5))  # 1..4 extra parameters (<= MAX_PARAMS in all)
                kinds = [primary, *(str(k) for k in rng.choice(EXTRA_KINDS, size=n_extra, replace=False))]
                params = []
                for i, kind in enumerate(kinds):
                    spec = KINDS[kind]
                    name = spec.names[int(rng.integers(len(spec.names)))]
                    required = i == 0 or bool(rng.random() < 0.4)
                    params.append(Param(name, kind, spec.type, spec.description, required=required, enum=spec.enum))
                label = obj.replace("_", " ")
                tools.append(Tool(len(tools), f"{domain}_{action}_{obj}", domain, verb, label,
                                  f"{verb} {label} in the {domain} service.", tuple(params)))
    return tuple(tools)


@lru_cache(maxsize=16)
def tools_with(kind_set: tuple[str, ...]) -> tuple[int, ...]:
    """Ids of the tools that have a parameter of one of ``kind_set``."""
    return tuple(t.id for t in catalog() if any(k in kind_set for k in t.kinds()))
