"""What is not article text inside detik's body containers (detik-markup.md §1.6, detik-network.md)."""

from __future__ import annotations

import re

from newscrawl.extraction.noise import DROP_TAGS, NoiseRules

NOISE = NoiseRules(
    drop_tags=DROP_TAGS | {"center"},  # <center> only ever wraps ad slots in detik bodies
    drop_classes=frozenset((
        "linksisip", "lihatjg", "paradetail", "detail__body-tag", "detail_tag", "detail__long-nav",
        "detail__multiple", "mid_multi", "detail__anchor-numb", "collapsible", "staticdetail_container",
        "staticdetail_ads", "ads-scrollpage-container", "ads-scrollpage-height", "ads-scrollpage-box",
        "mr1-scrollpage-box", "mr2-scrollpage-box", "skybanner", "embed", "aevp", "sisip_video_ds",
        "sisip_embed_sosmed", "noncontent",
    )),
    drop_id_prefixes=("div-gpt-ad", "para_caption", "aevp", "banner_"),
    photo_classes=frozenset(("pic_artikel_sisip_table", "pic_artikel_sisip")),
    # Old layouts put the lead photo block inside the body container (2015 detikNews: before the dateline).
    lead_photo_classes=frozenset(("pic_artikel",)),
    ad_region=("s:parallaxindetail", "e:parallaxindetail"),
    noise_paragraph=re.compile(
        r"^(?:ADVERTISEMENT|SCROLL TO (?:RESUME|CONTINUE WITH) CONTENT"
        r"|(?:Selengkapnya|Simak selengkapnya|Baca selengkapnya)(?: di)? halaman (?:selanjutnya|berikutnya)\.?"
        r"|Halaman (?:selanjutnya|berikutnya)\.?"
        r"|Halaman(?:\s+\d+)*(?:\s+(?:selanjutnya|berikutnya|next|prev))*)$",
        re.IGNORECASE,
    ),
    lead_in=re.compile(r"^(?:Simak(?: juga)? Video|Lihat(?: juga)? Video|Saksikan(?: juga)? Video)\b", re.IGNORECASE),
    related_link=re.compile(r"^\s*Baca juga\s*:", re.IGNORECASE),
    # Syndicated stories: "Artikel ini telah naik di detikBali dan bisa dibaca selengkapnya di sini."
    # after a "-----" line; detikNews copies of regional stories end "Baca berita (se)lengkapnya di sini."
    footer=re.compile(r"^(?:Artikel ini telah naik di (?P<channel>detik\w+) dan bisa dibaca selengkapnya di sini"
                      r"|Baca berita (?:se)?lengkapnya di sini)\.?$", re.IGNORECASE),
    footer_separator=re.compile(r"^-{3,}$"),
    # Lists written "- item<br>- item" inside one paragraph.
    list_item=re.compile(r"^- "),
    embed_placeholder=re.compile(r"\[Gambas:[^\]]*\]", re.IGNORECASE),
)
