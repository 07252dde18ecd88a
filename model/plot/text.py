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
        "markets_title": (
            "Against {against}, {best} changes {year} machine-tool output by {diff}: {shares} "
            "through the makers' shares, {rest} through volumes"
        ),
        "markets_subtitle": (
            "Paired difference in machine-tool output in {year} by market and what moved it, bn "
            "yuan, {region}; mean over {n} replicates"
        ),
        "markets_note": (
            "Each market's sales are the makers' share times a volume: of the region's machine "
            "purchases, of the rest of China's and of foreign demand."
        ),
        "market_total": "total",
        "market_in_region_share": "in region: share",
        "market_in_region_volume": "in region: purchases",
        "market_rest_of_country_share": "rest of China: share",
        "market_rest_of_country_demand": "rest of China: demand",
        "market_abroad_share": "abroad: share",
        "market_abroad_demand": "abroad: demand",
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
        "cal_source": (
            "Source: calibration '{name}' on the scenario '{scenario}', seed {seed}, code {code}."
        ),
        "use_fit": "fitted",
        "use_held_out": "held out (2024-25)",
        "use_report": "reported (full scale)",
        "cal_t_axis": "(simulated - data) / standard error",
        "cal_fit_title": (
            "{k} of {n} fitted moments lie within two standard errors of the data; {h} of "
            "{hn} held-out outturns do (over-identification p = {p:.2g})"
        ),
        "cal_fit_subtitle": (
            "Each realised figure against the calibrated model, in standard errors of data "
            "and simulation; J = {j:.1f} on {dof} degrees of freedom"
        ),
        "cal_fit_note": (
            "Grey band: within two standard errors. Held-out figures were never fitted."
        ),
        "unreachable_short": "unreachable: {short} short at the top",
        "announced": "announced",
        "multiplier_axis": "multiple of the announced strength needed (median reaches the target)",
        "inverse_subtitle": (
            "Policy strength the plan implicitly assumes: each lever scaled with the others "
            "as announced, behaviour at the estimate; 90% intervals over seeds and behaviour"
        ),
        "inverse_note": (
            "Arrows: the grid's top does not reach the target; the shortfall is of the goal."
        ),
        "rd_bonus_reward_rate": "R&D reward rate",
        "soe_single_source_share": "SOE single-source share",
        "renewal_pool": "renewal-loan pool",
        "first_set_budget": "first-set budgets",
        "vpy_axis": "value added gained per yuan of public cost, yuan",
        "vpy_payer_title": "whole mix by payer (all: {total:+.2f})",
        "payer_central": "central",
        "payer_provincial": "provincial",
        "payer_county": "county",
        "vpy_title_positive": (
            "Per yuan of public cost, {best} alone buys the most value added: {value:+.2f} yuan "
            "(95%: {lo:+.2f} to {hi:+.2f})"
        ),
        "vpy_title_none": (
            "No instrument alone adds value added for its public cost; the whole mix returns "
            "{total:+.2f} yuan per yuan"
        ),
        "vpy_subtitle": (
            "Value added gained {first}-{last} (2023 prices) per yuan of extra public cost against "
            "{against}, {region}; ratio of means over {n} replicates, 95% Monte Carlo "
            "interval"
        ),
        "vpy_note": (
            "Public cost: subsidies, tax expenditures and re-lending relief. An instrument "
            "alone is compared with none; mixes interact (see the Shapley chart)."
        ),
        "lever_title_none": (
            "No setting on the grid reaches the {year} target ({goal}): the medians span only "
            "{span}; the highest, {median}, at {where}"
        ),
        "lever_title_some": (
            "The {year} target ({goal}) is met in {share:.0%} of runs at best, at {where}"
        ),
        "lever_subtitle": (
            "Machine-tool gross output in {year} along the swept levers, {region}; median "
            "(and 90% band or contours of the chance of meeting the target) over {n} "
            "replicates"
        ),
        "lever_note": (
            "Common random numbers across the grid: differences between settings are not noise."
        ),
        "sens_source": (
            "Source: sensitivity '{name}' on '{base}', {points} points x {n} replicates, "
            "seed {seed}, code {code}."
        ),
        "sobol_S1": "first order (S1)",
        "sobol_ST": "total (ST)",
        "sobol_axis": "share of the output's variance",
        "sobol_title": "{top} drives {output} most: {st:.0%} of its variance with interactions",
        "sobol_note": (
            "Bars: 95% bootstrap intervals. ST above S1: the parameter acts through interactions."
        ),
        "morris_mu_axis": "mu*: mean absolute effect over the range ({units})",
        "morris_sigma_axis": "sigma: spread of the effects",
        "morris_title": "{top} moves {output} most over its range",
        "morris_note": (
            "Horizontal bars: 95% bootstrap intervals of mu*. High sigma: interactions or "
            "non-linearity."
        ),
        "sens_subtitle": (
            "Sensitivity of {output} ({units}, {reduce} over replicates) to each parameter "
            "over its range"
        ),
        "size_first": "{year}",
        "size_plan": "plan, {year}",
        "size_axis": "revenue, bn yuan (log scale)",
        "size_share_axis": "share of firms at or above (log scale)",
        "size_title_vs": (
            "Firms of 1 bn yuan or more: {now:.1%} of the panel in {year} under the plan, "
            "{alt:.1%} under {other} ({then:.1%} in {first})"
        ),
        "size_title": (
            "Firms of 1 bn yuan or more: {now:.1%} of the panel in {year} ({then:.1%} in {first})"
        ),
        "size_subtitle": (
            "Survival curve of above-scale firms' revenue, {region}; median over {n} replicates"
        ),
        "size_note": (
            "A straight line on log-log axes is a Pareto tail; its slope is minus the exponent."
        ),
        "age_band": "{band} years",
        "age_axis": "share of equipment capacity, %",
        "age_title_vs": (
            "Machines 10 years or older: {plan:.0f}% of capacity in {year} under the plan, "
            "{alt:.0f}% under {other}"
        ),
        "age_title": "Machines 10 years or older: {plan:.0f}% of capacity in {year} under the plan",
        "age_subtitle": (
            "Equipment capacity by machine age, {region}; median shares over {n} replicates"
        ),
        "age_note": "The renewal subsidy is for replacing machines over 10 years old (FACTS.md A).",
        "inverse_title": (
            "{out} of {n} targets are out of reach of every lever up to its plausible top; "
            "met at the announced strength: {met}"
        ),
        "inverse_none_met": "none",
        "vpy_no_cost": "no extra public cost alone",
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
        "markets_title": (
            "与{against}相比，{best}使{year}年工业母机产值变化{diff}：其中{shares}来自本省企业的"
            "市场份额，{rest}来自需求量"
        ),
        "markets_subtitle": (
            "{year}年工业母机产值与对照情景的配对差按市场分解（亿元），{region}；{n}次重复的均值"
        ),
        "markets_note": (
            "各市场销售额 = 本省企业份额 × 需求量：省内设备采购、国内其他地区需求与国外需求。"
        ),
        "market_total": "合计",
        "market_in_region_share": "省内：份额",
        "market_in_region_volume": "省内：采购量",
        "market_rest_of_country_share": "国内其他地区：份额",
        "market_rest_of_country_demand": "国内其他地区：需求",
        "market_abroad_share": "国外：份额",
        "market_abroad_demand": "国外：需求",
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
        "cal_source": "来源：校准“{name}”，情景“{scenario}”，随机种子{seed}，代码版本{code}。",
        "use_fit": "拟合",
        "use_held_out": "留出检验（2024—25年）",
        "use_report": "报告（全规模）",
        "cal_t_axis": "（模拟值－实际值）/标准误",
        "cal_fit_title": (
            "{n}个拟合矩中有{k}个在实际值两个标准误以内；{hn}个留出数据中有"
            "{h}个（过度识别检验p = {p:.2g}）"
        ),
        "cal_fit_subtitle": (
            "各项实际数据与校准后模型的差距（以数据和模拟的标准误计）；J = {j:.1f}，自由度{dof}"
        ),
        "cal_fit_note": "灰色区域：两个标准误以内。留出数据从未用于拟合。",
        "unreachable_short": "无法达到：最高档仍差{short}",
        "announced": "公布水平",
        "multiplier_axis": "所需政策力度（公布水平的倍数，中位数达到目标）",
        "inverse_subtitle": (
            "规划隐含的政策力度：逐一调整各杠杆（其余按公布水平），行为参数取估计值；"
            "90%区间涵盖随机种子与参数不确定性"
        ),
        "inverse_note": "箭头：最高档仍达不到目标；差距以目标值的百分比表示。",
        "rd_bonus_reward_rate": "研发奖励比例",
        "soe_single_source_share": "国企单一来源采购比例",
        "renewal_pool": "设备更新贷款额度",
        "first_set_budget": "首台套预算",
        "vpy_axis": "每元公共支出带来的增加值（元）",
        "vpy_payer_title": "政策组合（按出资方；合计{total:+.2f}）",
        "payer_central": "中央",
        "payer_provincial": "省级",
        "payer_county": "县级",
        "vpy_title_positive": (
            "单项政策中，{best}每元公共支出带来的增加值最多：{value:+.2f}元"
            "（95%区间：{lo:+.2f}至{hi:+.2f}）"
        ),
        "vpy_title_none": "没有任何单项政策带来正的增加值；政策组合每元支出回报{total:+.2f}元",
        "vpy_subtitle": (
            "{first}—{last}年与{against}相比每元新增公共支出带"
            "来的增加值（2023年价格），{region}；{n}次重复的均值之比，95%蒙特卡洛区间"
        ),
        "vpy_note": (
            "公共支出：补贴、税式支出与再贷款优惠。单项政策与无政策相比；组合存在交互"
            "作用（见沙普利图）。"
        ),
        "lever_title_none": (
            "网格内任何组合都达不到{year}年目标（{goal}）：各组合中位数仅在{span}之间；"
            "最高为{median}（{where}）"
        ),
        "lever_title_some": "{year}年目标（{goal}）最高达成概率为{share:.0%}（{where}）",
        "lever_subtitle": (
            "{year}年工业母机产值随政策杠杆的变化，{region}；{n}次重"
            "复的中位数（及90%区间或达标概率等值线）"
        ),
        "lever_note": "各网格点使用共同随机数：差异不是随机噪声。",
        "sens_source": (
            "来源：敏感性分析“{name}”（基于“{base}”），{points"
            "}个样本点×{n}次重复，随机种子{seed}，代码版本{code}。"
        ),
        "sobol_S1": "一阶指数（S1）",
        "sobol_ST": "总效应指数（ST）",
        "sobol_axis": "占输出方差的比例",
        "sobol_title": "{top}对{output}影响最大：含交互作用占方差的{st:.0%}",
        "sobol_note": "误差线：95%自助法区间。ST高于S1：参数通过交互作用起作用。",
        "morris_mu_axis": "mu*：参数范围内的平均绝对效应（{units}）",
        "morris_sigma_axis": "sigma：效应的离散程度",
        "morris_title": "{top}在其范围内对{output}的影响最大",
        "morris_note": "横向误差线：mu*的95%自助法区间。sigma高：存在交互作用或非线性。",
        "sens_subtitle": "{output}（{units}，重复间取{reduce}）对各参数在其范围内的敏感性",
        "size_first": "{year}年",
        "size_plan": "规划，{year}年",
        "size_axis": "营业收入（十亿元，对数坐标）",
        "size_share_axis": "不低于该规模的企业占比（对数坐标）",
        "size_title_vs": (
            "营收10亿元以上企业：{year}年规划情景占{now:.1%}，{ot"
            "her}占{alt:.1%}（{first}年{then:.1%}）"
        ),
        "size_title": "营收10亿元以上企业：{year}年占{now:.1%}（{first}年{then:.1%}）",
        "size_subtitle": "规模以上企业营业收入的生存曲线，{region}；{n}次重复的中位数",
        "size_note": "双对数坐标下的直线即帕累托尾部，其斜率为指数的相反数。",
        "age_band": "{band}年",
        "age_axis": "设备产能占比，%",
        "age_title_vs": (
            "役龄10年及以上设备：{year}年规划情景占产能{plan:.0f}%，{other}占{alt:.0f}%"
        ),
        "age_title": "役龄10年及以上设备：{year}年规划情景占产能{plan:.0f}%",
        "age_subtitle": "按设备役龄划分的产能，{region}；{n}次重复的中位数占比",
        "age_note": "设备更新贷款贴息用于替换役龄10年以上的设备（FACTS.md A）。",
        "inverse_title": (
            "{n}项目标中有{out}项在任何杠杆的合理范围内都无法达到；在公布力度下即可达到：{met}"
        ),
        "inverse_none_met": "无",
        "vpy_no_cost": "单独实施无新增公共支出",
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
