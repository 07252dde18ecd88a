"""The pack's words in English and Chinese, and the findings its titles state."""

from __future__ import annotations

__all__ = ["TARGET_WHAT", "TEXT", "attainment_phrase", "attainment_title", "money", "target_label"]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "source": "Source: model {kind} '{name}', {n} replicates, seed {seed}, code {code}.",
        "run": "run",
        "sweep": "sweep",
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
        "plan": "plan",
        "status_quo": "status quo",
        "no_policy": "no policy",
        "share_runs": "share of replicates meeting the target, % (95% Monte Carlo interval)",
        "att_subtitle": "The plan's targets for {region}: share of {n} replicates meeting each",
        "att_note": (
            "Intervals: Monte Carlo error of the share from this many replicates, not parameter "
            "uncertainty."
        ),
        "rd_bonus": "R&D bonus",
        "first_set": "first-set support",
        "renewal_loans": "renewal loans",
        "first_set_award": "first-set award",
        "whole_mix": "whole mix",
        "shapley_title": (
            "Against {against} the mix changes {year} machine-tool output by {effect}; {top} "
            "accounts for {part}"
        ),
        "shapley_subtitle": (
            "Shapley values of machine-tool gross output in {year}, bn yuan, {region}; mean and "
            "90% range over {n} replicates"
        ),
        "shapley_note": (
            "Each instrument's share of the effect, averaged over the orders it could join the "
            "mix in; they add up to the whole mix in every replicate."
        ),
        "effects_title": (
            "Against {against}, {best} changes {year} machine-tool output most: {diff}"
        ),
        "effects_subtitle": (
            "Paired difference in machine-tool gross output in {year} from the counterfactual, bn "
            "yuan, {region}; median and 90% range over {n} replicates"
        ),
        "no_provincial": "central instruments only",
        "rd_bonus_only": "R&D bonus only",
        "first_set_only": "first-set support only",
        "renewal_only": "renewal loans only",
        "plan_without_rd_bonus": "plan without the R&D bonus",
        "plan_without_first_set": "plan without first-set support",
        "plan_without_renewal": "plan without renewal loans",
        "against_status_quo": "the status quo",
        "against_no_policy": "no policy",
        "vs_title": (
            "By {year} the plan changes machine-tool output by {diff} against {against} "
            "(90% of paired runs: {lo} to {hi})"
        ),
        "vs_subtitle": (
            "Machine-tool gross output, bn yuan, {region}, {first}-{last}; plan (median, 50 and "
            "90% bands), counterfactuals (median, 90% band); {n} replicates"
        ),
        "vs_note": (
            "Paired runs share their random numbers (common random numbers). Bands: the "
            "replicates' spread, not parameter uncertainty."
        ),
    },
    "zh": {
        "source": "来源：模型{kind}“{name}”，{n}次重复，随机种子{seed}，代码版本{code}。",
        "run": "运行",
        "sweep": "情景组",
        "bands_note": "阴影：各次重复的50%/80%/90%区间（模型自身的随机性），不代表参数的不确定性。",
        "history_ends": "{year}年：最后实际年份",
        "median": "中位数",
        "target": "{year}年目标{value}",
        "money_unit": "亿元",
        "fan_subtitle": (
            "工业母机产业产值（亿元），{region}，{first}—{last}年；{n}次重复的中位数与区间"
        ),
        "plan": "规划",
        "status_quo": "现行政策",
        "no_policy": "无政策",
        "share_runs": "达到目标的模拟占比，%（95%蒙特卡洛区间）",
        "att_subtitle": "{region}规划目标：{n}次重复中达到各目标的比例",
        "att_note": "区间：有限重复次数带来的蒙特卡洛误差，不代表参数的不确定性。",
        "rd_bonus": "研发奖励",
        "first_set": "首台套支持",
        "renewal_loans": "设备更新贷款",
        "first_set_award": "首台套奖励",
        "whole_mix": "政策组合",
        "shapley_title": (
            "与{against}相比，政策组合使{year}年工业母机产值变化{effect}；其中{top}贡献{part}"
        ),
        "shapley_subtitle": (
            "{year}年工业母机产值的沙普利值（亿元），{region}；{n}次重复的均值与90%区间"
        ),
        "shapley_note": "各政策在所有加入顺序下的平均贡献；每次重复中各项之和等于组合的总效应。",
        "effects_title": "与{against}相比，{best}对{year}年工业母机产值的影响最大：{diff}",
        "effects_subtitle": (
            "{year}年工业母机产值与对照情景的配对差（亿元），{region}；{n}次重复的中位数与90%区间"
        ),
        "no_provincial": "仅中央政策",
        "rd_bonus_only": "仅研发奖励",
        "first_set_only": "仅首台套支持",
        "renewal_only": "仅设备更新贷款",
        "plan_without_rd_bonus": "规划（无研发奖励）",
        "plan_without_first_set": "规划（无首台套支持）",
        "plan_without_renewal": "规划（无设备更新贷款）",
        "against_status_quo": "现行政策",
        "against_no_policy": "无政策",
        "vs_title": (
            "与{against}相比，规划使{year}年工业母机产值变化{diff}（90%配对模拟：{lo}至{hi}）"
        ),
        "vs_subtitle": (
            "工业母机产业产值（亿元），{region}，{first}—{last}年；规划（中位数、50%与90%区间）"
            "与对照情景（中位数、90%区间），{n}次重复"
        ),
        "vs_note": (
            "配对模拟使用相同的随机数（共同随机数）。阴影为各次重复的分布，不代表参数的不确定性。"
        ),
    },
}


def money(value: float, lang: str, *, signed: bool = False) -> str:
    """An amount as the pack writes it (bn yuan in English, 亿元 in Chinese)."""
    digits = 1 if signed and abs(value) < 10 else 0
    number = f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"
    return f"{number} bn yuan" if lang == "en" else f"{number}亿元"


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


#: What each target measures, by its model variable (without the sector), in each language.
TARGET_WHAT: dict[str, dict[str, str]] = {
    "output": {"en": "machine-tool output", "zh": "工业母机产值"},
    "n_little_giants_new+n_single_champions_new": {
        "en": "new little giants + champions",
        "zh": "新增小巨人与单项冠军",
    },
    "first_set_products_new": {"en": "new first sets", "zh": "新增首台套"},
}


def target_label(lang: str, what: dict[str, str] | str, goal: float, year: int) -> str:
    """A target's row label: what, its goal and year."""
    name = what[lang] if isinstance(what, dict) else what
    if lang == "en":
        return f"{name} {goal:,.0f}, {year}"
    return f"{year}年{name}{goal:,.0f}"


def attainment_title(lang: str, year: int, share: float, best: str, goal: str) -> str:
    """The finding of the attainment chart: the best chance at a target, or none."""
    if lang == "en":
        if share <= 0.0:
            return f"No scenario meets the {year} machine-tool output target ({goal}) in any run"
        return f"The best chance at the {year} output target ({goal}): {best}, {share:.0%} of runs"
    if share <= 0.0:
        return f"所有情景在任何模拟中均未达到{year}年工业母机产值目标（{goal}）"
    return f"{year}年产值目标（{goal}）达成概率最高的是{best}：{share:.0%}"
