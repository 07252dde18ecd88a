"""The pack's words in English and Chinese, and the findings its titles state."""

from __future__ import annotations

__all__ = ["TEXT", "attainment_phrase", "money"]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "source": "Source: model run '{name}', {n} replicates, seed {seed}, code {code}.",
        "bands_note": (
            "Bands: 50/80/90% of the replicates (the model's own randomness), not the "
            "uncertainty of its parameters."
        ),
        "history_ends": "{year}: last realised year",
        "median": "median",
        "target": "{year} target {value}",
        "money_unit": "bn yuan",
        "fan_subtitle": (
            "Machine-tool industry gross output, bn yuan, {region}, {first}-{last}; "
            "median and bands over {n} replicates"
        ),
    },
    "zh": {
        "source": "来源：模型运行“{name}”，{n}次重复，随机种子{seed}，代码版本{code}。",
        "bands_note": "阴影：各次重复的50%/80%/90%区间（模型自身的随机性），不代表参数的不确定性。",
        "history_ends": "{year}年：最后实际年份",
        "median": "中位数",
        "target": "{year}年目标{value}",
        "money_unit": "亿元",
        "fan_subtitle": (
            "工业母机产业产值（亿元），{region}，{first}—{last}年；{n}次重复的中位数与区间"
        ),
    },
}


def money(value: float, lang: str) -> str:
    """An amount as the pack writes it (bn yuan in English, 亿元 in Chinese)."""
    return f"{value:,.0f} bn yuan" if lang == "en" else f"{value:,.0f}亿元"


def attainment_phrase(lang: str, year: int, target: str, share: float, median: str) -> str:
    """The finding about one target: how often the runs meet it, and the median reached."""
    if lang == "en":
        if share <= 0.0:
            how = "falls short of the target in every run"
        elif share >= 1.0:
            how = "meets the target in every run"
        else:
            how = f"meets the target in {share:.0%} of runs"
        return f"Machine-tool output reaches {median} in {year} (median) and {how} ({target})"
    if share <= 0.0:
        how = "所有模拟均未达到目标"
    elif share >= 1.0:
        how = "所有模拟均达到目标"
    else:
        how = f"{share:.0%}的模拟达到目标"
    return f"{year}年工业母机产值中位数{median}，{how}（目标{target}）"
