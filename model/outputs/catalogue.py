"""Every output variable of a run: its dims, units and long name, declared once."""

from __future__ import annotations

#: Sector-level variables recorded each year: name -> (units, long name).
SECTOR_VARIABLES: dict[str, tuple[str, str]] = {
    "output": ("bn yuan", "gross output (产值), nominal"),
    "output_real": ("bn yuan (2023 prices)", "gross output at base-year prices"),
    "price_index": ("1 (2023 = 1)", "producer price index of the sector"),
    "value_added": ("bn yuan", "value added, nominal"),
    "wages": ("bn yuan", "wage bill"),
    "employment": ("thousand people", "employment"),
    "rd_expenditure": ("bn yuan", "reported R&D expenditure (研发费用)"),
    "rd_expenditure_real": ("bn yuan", "real R&D expenditure (excludes relabelling)"),
    "rd_intensity": ("1", "reported R&D / revenue"),
    "basic_research": ("bn yuan", "basic-research expenditure"),
    "mean_machine_age": ("years", "capacity-weighted mean age of machines"),
    "investment_replacement": ("bn yuan", "replacement investment in equipment"),
    "investment_expansion": ("bn yuan", "expansion investment in equipment"),
    "replacement_rate": ("1/yr", "capacity replaced / capacity"),
    "loans_new": ("bn yuan", "new bank loans (incl. overdrafts)"),
    "loans_repaid": ("bn yuan", "loan principal repaid"),
    "loans_written_off": ("bn yuan", "debt of exiting firms written off"),
    "debt": ("bn yuan", "bank debt, end of year"),
    "cash": ("bn yuan", "cash, end of year"),
    "operating_cash_flow": ("bn yuan", "net profit + depreciation + write-offs"),
    "investment": ("bn yuan", "equipment investment paid"),
    "dividends": ("bn yuan", "dividends paid"),
    "cash_of_exits": ("bn yuan", "cash leaving with exiting firms"),
    "cash_of_entrants": ("bn yuan", "owners' equity cash of entrants"),
    "net_profit": ("bn yuan", "profit after tax and subsidies"),
    "depreciation": ("bn yuan", "tax depreciation"),
    "taxes": ("bn yuan", "VAT + corporate income tax"),
    "tax_expenditure_super_deduction": ("bn yuan", "CIT forgone through the R&D super-deduction"),
    "tax_expenditure_high_tech": ("bn yuan", "CIT forgone through the 15% high-tech rate"),
    "subsidies_received": ("bn yuan", "subsidies received from the three instruments"),
    "machine_purchases": ("bn yuan", "machine-tool purchases by the sector's firms"),
    "machine_purchases_outside_province": (
        "bn yuan",
        "machine tools bought from outside Zhejiang (leakage)",
    ),
    "machine_purchases_imported": ("bn yuan", "machine tools imported from abroad"),
    "machine_purchases_unproven": ("bn yuan", "purchases of unproven (first-set) Zhejiang models"),
    "domestic_machine_share": ("1", "share of machine-tool purchases made in China"),
    "zhejiang_machine_share": ("1", "share of machine-tool purchases made in Zhejiang"),
    "first_set_products_new": ("count", "first-set (首台套) products recognised in the year"),
    "n_firms": ("count", "firms active in the year (exits leave, entrants join, at its end)"),
    "n_firms_above_scale": ("count", "firms with revenue >= 20 m yuan"),
    "n_specialised_new": ("count", "firms holding the specialised-new (专精特新) title"),
    "n_little_giants": ("count", "firms holding the little-giant (小巨人) title"),
    "n_single_champions": ("count", "firms holding the single-champion (单项冠军) title"),
    "n_specialised_new_new": ("count", "specialised-new titles newly recognised"),
    "n_little_giants_new": ("count", "little-giant titles newly recognised"),
    "n_single_champions_new": ("count", "single-champion titles newly recognised"),
    "entries": ("count", "entrants at the end of the year"),
    "exits": ("count", "exits at the end of the year"),
    "demand_shock": ("1", "log demand shock drawn for the sector"),
}


#: Machine-tool purchases by the segment buyers shop in: name -> (units, long name).
SEGMENT_VARIABLES: dict[str, tuple[str, str]] = {
    "machine_purchases_by_segment": ("bn yuan", "machine-tool purchases in the segment"),
    "domestic_machine_share_by_segment": ("1", "share of the segment's purchases made in China"),
    "zhejiang_machine_share_by_segment": ("1", "share of the segment's purchases made in Zhejiang"),
}


COUNT_VARIABLES = {k for k, (u, _) in SECTOR_VARIABLES.items() if u == "count"}


INSTRUMENT_VARIABLES: dict[str, tuple[str, str]] = {
    "subsidy_paid": ("bn yuan", "subsidy paid by the instrument"),
    "budget": ("bn yuan", "budget available (inf: payments due are honoured)"),
    "budget_used": ("1", "subsidy paid / budget"),
    "claims": ("bn yuan", "subsidy claimed before rationing"),
    "firms_eligible": ("count", "firms eligible"),
    "firms_paid": ("count", "firms paid"),
}


TOTAL_VARIABLES: dict[str, tuple[str, str]] = {
    "output_total": ("bn yuan", "gross output of all sectors, summed over firms"),
    "value_added_total": ("bn yuan", "value added of all sectors, summed over firms"),
    "employment_total": ("thousand people", "employment of all sectors, summed over firms"),
    "rd_expenditure_total": ("bn yuan", "reported R&D of all sectors, summed over firms"),
    "investment_total": ("bn yuan", "equipment investment of all sectors, summed over firms"),
}


FIRM_VARIABLES: dict[str, tuple[str, str]] = {
    "alive": ("1", "firm slot occupied (live firm)"),
    "revenue": ("m yuan", "revenue"),
    "rd_intensity": ("1", "reported R&D / revenue"),
    "productivity": ("1", "productivity (machine-tool firms: their model's embodied productivity)"),
    "mean_machine_age": ("years", "capacity-weighted mean machine age"),
    "above_scale": ("1", "revenue >= 20 m yuan"),
    "specialised_new": ("1", "holds the specialised-new title"),
    "little_giant": ("1", "holds the little-giant title"),
    "single_champion": ("1", "holds the single-champion title"),
    "high_tech": ("1", "high-tech enterprise (15% CIT)"),
    "first_set_model": ("1", "current model is a first-set product"),
    "subsidy_received": ("m yuan", "subsidies received"),
}
