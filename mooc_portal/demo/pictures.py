"""Demo steps: pictures for the published courses and partners' logos, drawn here (no file
to ship, no network).

Each picture is a landscape of soft bands and circles in a palette chosen by the course's
first subject, stored through the same path as an upload (``media.store_image``), so the
catalog cards, the home page, institution pages and course pages show them in every size.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

from mooc_portal.catalog.models import CourseStatus
from mooc_portal.db import session
from mooc_portal.publishing import media

if TYPE_CHECKING:
    from mooc_portal.demo import DemoContext

WIDTH, HEIGHT = 960, 540
PALETTES = (
    ((14, 74, 134), (94, 166, 214), (238, 200, 90)),
    ((22, 96, 72), (120, 190, 140), (240, 230, 180)),
    ((120, 40, 80), (214, 120, 140), (250, 220, 200)),
    ((60, 50, 120), (140, 120, 210), (250, 200, 120)),
    ((150, 70, 20), (230, 150, 70), (250, 235, 200)),
    ((30, 80, 90), (90, 170, 170), (230, 240, 220)),
)
PICTURED = 48
"""How many published courses get a picture (the others show that a picture is optional)."""


def add_pictures(context: DemoContext) -> None:
    published = [c for c in context.courses if c.status == CourseStatus.PUBLISHED]
    for course in published[:PICTURED]:
        subject = course.subjects[0].code if course.subjects else "00"
        palette = PALETTES[sum(map(ord, subject)) % len(PALETTES)]
        course.image = media.store_image(BytesIO(_draw(palette, context.rng.random())))
        course.image_alt = "A drawing of green hills under a low sun"
    session.flush()


def add_logos(context: DemoContext) -> None:
    """A logo for every partner institution: its initials on a round badge in its own colour,
    stored like an uploaded logo (the institution pages, the list and course pages show it)."""
    for n, institution in enumerate(context.institutions.values()):
        name = institution.text("name", "en").text
        initials = "".join(w[0] for w in name.split() if w[:1].isalpha() and w[0].isupper())[:3]
        palette = PALETTES[n % len(PALETTES)]
        institution.logo = media.store_image(BytesIO(_draw_logo(palette, initials or "U")))
    session.flush()


def _draw_logo(palette: tuple[tuple[int, int, int], ...], initials: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    dark, middle, light = palette
    size = 256
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), fill=dark, outline=middle, width=12)
    font = ImageFont.load_default(size=96 if len(initials) < 3 else 72)
    draw.text((size / 2, size / 2), initials, fill=light, font=font, anchor="mm")
    out = BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _draw(palette: tuple[tuple[int, int, int], ...], seed: float) -> bytes:
    from PIL import Image, ImageDraw

    dark, middle, light = palette
    image = Image.new("RGB", (WIDTH, HEIGHT), light)
    draw = ImageDraw.Draw(image)
    for band in range(6):  # hills from the back to the front
        top = int(HEIGHT * (0.35 + 0.1 * band + 0.05 * seed))
        colour = tuple(int(m + (d - m) * band / 5) for m, d in zip(middle, dark, strict=True))
        offset = int(200 * ((seed * (band + 3)) % 1))
        draw.ellipse((-300 + offset, top, WIDTH + 300 - offset, top + HEIGHT), fill=colour)
    sun = int(WIDTH * (0.2 + 0.6 * seed))
    draw.ellipse((sun - 60, 60, sun + 60, 180), fill=(255, 246, 220))
    out = BytesIO()
    image.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()
