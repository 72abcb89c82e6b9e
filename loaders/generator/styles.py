"""How a profile's clerks write names, addresses and phones (beyond the classic world's
phone and account styles, which are drawn when the parties are made).

Applied once after planting, to parties of every kind. Some writings normalise to the same
value (full-width digits, spaces, full-width brackets, a padded name); some do not, as in
real records (an address without its province or with 中国 before it, a phone with an
extension) — so shared addresses and phones are sometimes seen and sometimes missed.
"""

from __future__ import annotations

import numpy as np

from . import names
from .world import World

__all__ = ["restyle", "write_address"]

_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
_SPACED_AFTER = ("省", "自治区", "市", "区", "县", "路", "大道", "街", "号")
#: trade words of Latin-named companies, by the words of their category
_LATIN_TRADES = {
    "科技": "Technology",
    "信息": "Information Technology",
    "设备": "Equipment",
    "机电": "Mechanical & Electrical",
    "电气": "Electric",
    "自动化": "Automation",
    "材料": "Materials",
    "物流": "Logistics",
    "工具": "Tools",
    "仪表": "Instruments",
    "化工": "Chemicals",
}


def write_address(address: str, style: str, province: str) -> str:
    """An address as a clerk writes it: ``full_width`` digits, ``spaced`` parts, without the
    ``province``, or with ``country`` before it.

    >>> write_address("山西省太原市小店区人民路8号", "spaced", "山西省")
    '山西省 太原市 小店区 人民路 8号'
    >>> write_address("山西省太原市小店区人民路8号", "no_province", "山西省")
    '太原市小店区人民路8号'
    >>> write_address("北京市西城区金融大街28号", "full_width", "北京市")
    '北京市西城区金融大街２８号'
    """
    if style == "full_width":
        return address.translate(_FULL_WIDTH_DIGITS)
    if style == "spaced":
        out = address
        for word in _SPACED_AFTER:
            out = out.replace(word, word + " ")
        return " ".join(out.split())
    if style == "no_province" and address.startswith(province) and not province.endswith("市"):
        return address[len(province) :]
    if style == "country":
        return "中国" + address
    return address


def _restyle_addresses(w: World) -> None:
    f = w.profile.formats
    shares = {
        "full_width": f.address_full_width,
        "spaced": f.address_spaced,
        "no_province": f.address_no_province,
        "country": f.address_country,
    }
    if not any(shares.values()):
        return
    rng = w.rng
    styles = np.array(["plain", *shares])
    p = np.array([max(0.0, 1 - sum(shares.values())), *shares.values()])
    for frame, region_of in ((w.employees, "region"), (w.suppliers, "region"), (w.persons, None)):
        if frame.empty:
            continue
        picked = styles[rng.choice(len(styles), len(frame), p=p / p.sum())]
        regions = frame[region_of].to_numpy() if region_of else np.zeros(len(frame), dtype=int)
        addresses = frame["address"].to_numpy(dtype=object)
        frame["address"] = [
            write_address(str(a), str(s), w.regions[int(r)].province) if a and s != "plain" else a
            for a, s, r in zip(addresses, picked, regions, strict=True)
        ]


def _restyle_names(w: World) -> None:
    f = w.profile.formats
    rng = w.rng
    sup = w.suppliers
    pool = np.flatnonzero(sup["kind"].to_numpy() == "pool")
    pool = np.setdiff1d(pool, np.array(sorted(w.protected_suppliers), dtype=np.int64))
    if f.latin_suppliers:
        for s in pool[rng.random(len(pool)) < f.latin_suppliers]:
            words = w.cats.categories[int(sup.at[s, "category"])].trade_words
            trade = next(
                (en for zh, en in _LATIN_TRADES.items() if any(zh in word for word in words)), "Industrial"
            )
            sup.at[s, "name"] = names.latin_company_name(rng, trade, w._company_names)
    if f.bracketed_place:
        for s in pool[rng.random(len(pool)) < f.bracketed_place]:
            name = str(sup.at[s, "name"])
            region = w.regions[int(sup.at[s, "region"])]
            for place in (region.short, region.city.removesuffix("市")):
                if name.startswith(place) and len(name) > len(place) + 2:
                    rest = name[len(place) :]
                    sup.at[s, "name"] = f"{rest[:2]}（{place}）{rest[2:]}"
                    break
    if f.padded_names:
        for frame in (w.employees, w.persons):
            two = frame["name"].str.len().to_numpy() == 2
            padded = two & (rng.random(len(frame)) < f.padded_names)
            frame.loc[padded, "name"] = [n[0] + "\u3000" + n[1] for n in frame.loc[padded, "name"]]


def _restyle_phones(w: World) -> None:
    share = w.profile.formats.phone_extensions
    if not share:
        return
    rng = w.rng
    sup = w.suppliers
    landline = sup["phone_digits"].astype(str).str.startswith("0").to_numpy()
    chosen = np.flatnonzero(landline & (rng.random(len(sup)) < share))
    chosen = np.setdiff1d(chosen, np.array(sorted(w.protected_suppliers), dtype=np.int64))
    for s in chosen:
        sup.at[s, "phone"] = f"{sup.at[s, 'phone']}-{int(rng.integers(800, 8999))}"


def restyle(w: World) -> None:
    """Write the world's names, addresses and phones the profile's way."""
    _restyle_names(w)
    _restyle_addresses(w)
    _restyle_phones(w)
