"""Video lessons played in the page: the providers the portal embeds, in privacy-enhanced mode.

A lesson's video address is one a learner or a partner copies from the provider (a watch page,
a share link or an embed link). :func:`parse_video` reads it and answers the embed address the
page frames: YouTube through ``www.youtube-nocookie.com`` (no cookies until the learner plays),
Vimeo through ``player.vimeo.com`` with ``dnt=1`` (no tracking), PeerTube on the instances
listed in ``MOOC_PEERTUBE_INSTANCES`` with peer-to-peer off (no learner's address shared with
other viewers). The Content Security Policy frames exactly these origins
(:func:`frame_origins`), so no other site can be framed even through a stored address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

YOUTUBE_EMBED = "https://www.youtube-nocookie.com"
VIMEO_EMBED = "https://player.vimeo.com"
YOUTUBE_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "youtu.be",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    }
)
VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"[0-9]{1,12}")
# PeerTube: a UUID (/videos/watch/<uuid>, /videos/embed/<uuid>) or a short UUID (/w/<id>).
_PEERTUBE_ID = re.compile(r"[A-Za-z0-9-]{8,40}")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+")


class NotAVideo(ValueError):
    """The address is not a video of an allowed provider."""


@dataclass(frozen=True)
class Video:
    """A video to embed: its provider, its id there and the address the page frames."""

    provider: str
    video_id: str
    embed_url: str

    @property
    def origin(self) -> str:
        parts = urlsplit(self.embed_url)
        return f"{parts.scheme}://{parts.netloc}"


def peertube_hosts(instances: Iterable[str]) -> frozenset[str]:
    """The configured PeerTube instances as host names (``https://`` and paths dropped)."""
    hosts = set()
    for instance in instances:
        text = instance.strip().lower()
        host = urlsplit(text).netloc if "://" in text else text.split("/")[0]
        if _HOST.fullmatch(host):
            hosts.add(host)
    return frozenset(hosts)


def frame_origins(instances: Iterable[str]) -> list[str]:
    """Every origin a video lesson may frame: the CSP's ``frame-src``."""
    return [
        YOUTUBE_EMBED,
        VIMEO_EMBED,
        *(f"https://{h}" for h in sorted(peertube_hosts(instances))),
    ]


def parse_video(url: str, instances: Iterable[str] = ()) -> Video:
    """The embeddable video at ``url``; NotAVideo when it is none of an allowed provider."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise NotAVideo(url)
    segments = [s for s in parts.path.split("/") if s]
    if host in YOUTUBE_HOSTS:
        if host == "youtu.be":
            candidate = segments[0] if segments else ""
        elif segments[:1] in (["embed"], ["shorts"], ["live"], ["v"]) and len(segments) > 1:
            candidate = segments[1]
        elif segments == ["watch"]:
            candidate = parse_qs(parts.query).get("v", [""])[0]
        else:
            candidate = ""
        if not _YOUTUBE_ID.fullmatch(candidate):
            raise NotAVideo(url)
        return Video("youtube", candidate, f"{YOUTUBE_EMBED}/embed/{candidate}")
    if host in VIMEO_HOSTS:
        if host == "player.vimeo.com":
            candidate = segments[1] if segments[:1] == ["video"] and len(segments) > 1 else ""
        else:
            candidate = segments[0] if segments else ""
        if not _VIMEO_ID.fullmatch(candidate):
            raise NotAVideo(url)
        return Video("vimeo", candidate, f"{VIMEO_EMBED}/video/{candidate}?dnt=1")
    if host in peertube_hosts(instances):
        if parts.scheme != "https":
            raise NotAVideo(url)
        if segments[:1] == ["w"] and len(segments) == 2:
            candidate = segments[1]
        elif (
            segments[:1] == ["videos"] and len(segments) == 3 and segments[1] in ("watch", "embed")
        ):
            candidate = segments[2]
        else:
            candidate = ""
        if not _PEERTUBE_ID.fullmatch(candidate):
            raise NotAVideo(url)
        return Video("peertube", candidate, f"https://{host}/videos/embed/{candidate}?p2p=0")
    raise NotAVideo(url)
