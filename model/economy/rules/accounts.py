"""Rule 6, accounts: value added, wages, employment, taxes, profit; then cash and loans settled."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from model.config.units import TINY
from model.economy.compiled import njit
from model.economy.engine import Engine
from model.economy.layout import SlotTables
from model.economy.state import bundle, bundle_type, names

#: What the accounts loop reads of the state.
AccountFirms = bundle_type(
    "AccountFirms",
    (
        "high_tech",
        "on_machine_tool_list",
        "k1",
        "k2",
        "process_productivity",
        "machine_productivity",
        "output_real",
        "revenue",
        "debt",
        "depreciation",
        "flow_writeoff",
        "rd_real",
        "rd_reported",
    ),
    __name__,
)
#: What it writes per firm (the cash rule reads them).
AccountOut = bundle_type("AccountOut", ("profit_before_tax", "cit"), __name__)
#: What only the recorder reads: summed by sector (per firm only if kept).
AccountFlows = bundle_type(
    "AccountFlows", names(written_by="account", recorded="by_sector"), __name__
)


class AccountParams(NamedTuple):
    """The accounts loop's parameters: labour's share of k1 by sector, wages and tax rates."""

    labour_of_k1: np.ndarray  # (S,)
    wage_per_worker: np.ndarray  # (R,) m yuan
    loan_rate: float
    vat_rate: float
    cit_rate: float
    high_tech_rate: float
    super_deduction: float
    listed_super_deduction: float  # a firm on the machine-tool list (>= super_deduction)
    listed_vat_credit: float  # its additional credit, share of deductible input VAT
    interest_relief: np.ndarray  # (R, N) interest not paid (re-lent loans), or (R, 1) zeros


def account(eng: Engine) -> None:
    """Revenue, value added, wages and employment, profit before tax and subsidy.

    Wages are the labour part of the machine-sensitive cost k1 / (pi e); intermediate inputs the
    rest of it plus k2. Profit before tax deducts wages, VAT, tax depreciation, write-offs,
    interest (less what the policy relieves: re-lent loans) and real R&D; taxable profit also
    the R&D super-deduction on reported R&D, taxed at the high-tech rate for high-tech firms. A
    firm on the machine-tool list deducts its list's larger share of R&D and credits a share of
    its deductible input VAT (that on intermediate inputs) against the VAT it owes, never below
    zero. The CIT forgone through the super-deductions and the high-tech rate, and the VAT
    forgone through the credit, are recorded as tax expenditures for the payer ledger.
    """
    st, exo = eng.state, eng.exo
    out = eng.outputs(AccountOut)
    by_sector, by_firm = eng.flows(AccountFlows)
    totals = np.zeros((2, eng.R))
    wage = np.broadcast_to(
        np.asarray(exo.wage_per_worker_m_yuan, dtype=float).reshape(-1), (eng.R,)
    )
    relief = eng.policy.interest_relief(eng)
    relief = np.zeros((eng.R, 1)) if relief is None else np.ascontiguousarray(relief, dtype=float)
    params = AccountParams(
        labour_of_k1=eng.par.labour_of_k1,
        wage_per_worker=wage,
        loan_rate=exo.loan_rate,
        vat_rate=exo.vat_rate,
        cit_rate=exo.cit_rate,
        high_tech_rate=exo.high_tech_rate,
        super_deduction=exo.super_deduction,
        listed_super_deduction=exo.listed_super_deduction,
        listed_vat_credit=exo.listed_vat_credit,
        interest_relief=relief,
    )
    account_firms(
        eng.layout.tables, bundle(AccountFirms, st), params, out, by_sector, by_firm, totals
    )
    eng.publish(out)
    eng.publish_flows(by_sector, by_firm)
    st.value_added_total, st.employment_total = totals


#: What the cash rule reads and writes of the state.
SettleFirms = bundle_type(
    "SettleFirms",
    (
        "alive",
        "profit_before_tax",
        "cit",
        "subsidy_received",
        "depreciation",
        "flow_writeoff",
        "revenue",
        "cash",
        "debt",
        "flow_loans_new",
    ),
    __name__,
)
#: What only the recorder reads: summed by sector (per firm only if kept).
SettleFlows = bundle_type("SettleFlows", names(written_by="settle", recorded="by_sector"), __name__)


def settle_cash(eng: Engine) -> None:
    """Roll cash and loans forward: profit after tax and subsidy, loan service, dividends.

    Cash that would go negative is covered by an overdraft loan, so cash >= 0 and the bank
    carries the shortfall; a firm with negative net worth exits in rule 7.
    """
    inv = eng.scenario.investment
    by_sector, by_firm = eng.flows(SettleFlows)
    settle_firms(
        eng.layout.tables,
        bundle(SettleFirms, eng.state),
        float(inv.loan_term_years),
        inv.dividend_cash_ratio,
        by_sector,
        by_firm,
    )
    eng.publish_flows(by_sector, by_firm)


# ---------------------------------------------------------------------------- compiled loops


@njit(cache=True)
def account_firms(
    lay: SlotTables,
    f: AccountFirms,
    p: AccountParams,
    out: AccountOut,
    by_sector: AccountFlows,
    by_firm: AccountFlows,
    totals: np.ndarray,
) -> None:
    """Value added, wages, employment, taxes and profit before subsidy (see ``rules.account``).

    Profit and CIT, which the cash rule reads, go to ``out``. What only the recorder reads is
    summed by sector into ``by_sector``, and value added and employment also over all firms
    in one running sum each into ``totals`` (2, R), which the recorder checks the sectors
    against; per firm into ``by_firm`` only if its rows have slots (the rule-by-rule check
    asks for them).
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    sector_of = lay.sector_of
    output_real = f.output_real
    process_productivity = f.process_productivity
    machine_productivity = f.machine_productivity
    k1 = f.k1
    k2 = f.k2
    revenue = f.revenue
    debt = f.debt
    depreciation = f.depreciation
    flow_writeoff = f.flow_writeoff
    rd_real = f.rd_real
    high_tech = f.high_tech
    on_list = f.on_machine_tool_list
    rd_reported = f.rd_reported
    labour_of_k1 = p.labour_of_k1
    wage_per_worker = p.wage_per_worker
    profit_before_tax = out.profit_before_tax
    cit = out.cit
    by_sector_wages = by_sector.wages
    by_sector_value_added = by_sector.value_added
    by_sector_employment = by_sector.employment
    by_sector_vat = by_sector.vat
    by_sector_tax_expenditure_super_deduction = by_sector.tax_expenditure_super_deduction
    by_sector_tax_expenditure_high_tech = by_sector.tax_expenditure_high_tech
    by_sector_tax_expenditure_listed_deduction = by_sector.tax_expenditure_listed_deduction
    by_sector_tax_expenditure_vat_credit = by_sector.tax_expenditure_vat_credit
    by_firm_wages = by_firm.wages
    by_firm_value_added = by_firm.value_added
    by_firm_employment = by_firm.employment
    by_firm_vat = by_firm.vat
    by_firm_tax_expenditure_super_deduction = by_firm.tax_expenditure_super_deduction
    by_firm_tax_expenditure_high_tech = by_firm.tax_expenditure_high_tech
    by_firm_tax_expenditure_listed_deduction = by_firm.tax_expenditure_listed_deduction
    by_firm_tax_expenditure_vat_credit = by_firm.tax_expenditure_vat_credit
    R, N = output_real.shape
    loan_rate, vat_rate, cit_rate = p.loan_rate, p.vat_rate, p.cit_rate
    high_tech_rate, super_deduction = p.high_tech_rate, p.super_deduction
    listed_super_deduction, listed_vat_credit = p.listed_super_deduction, p.listed_vat_credit
    interest_relief = p.interest_relief
    relief_per_firm = interest_relief.shape[1] == N
    keep = by_firm_wages.shape[1] > 0
    for row in by_sector:
        row[:] = 0.0
    totals[:] = 0.0
    for r in range(R):
        for n in range(N):
            s = sector_of[n]
            productivity = process_productivity[r, n] * machine_productivity[r, n]
            machine_cost = k1[r, s] / max(productivity, TINY) * output_real[r, n]
            wages = labour_of_k1[s] * machine_cost
            intermediate = machine_cost - wages + k2[r, s] * output_real[r, n]
            value_added = max(revenue[r, n] - intermediate, 0.0)
            interest = debt[r, n] * loan_rate
            if relief_per_firm:
                interest -= interest_relief[r, n]  # the lower rate on re-lent loans
            vat = vat_rate * value_added
            listed = on_list[r, n]
            # The list's additional credit: a share of the input VAT, up to the VAT owed.
            vat_credit = 0.0
            if listed:
                vat_credit = min(listed_vat_credit * vat_rate * intermediate, vat)
                vat -= vat_credit
            profit = (
                value_added
                - wages
                - vat
                - depreciation[r, n]
                - flow_writeoff[r, n]
                - interest
                - rd_real[r, n]
            )
            ht = high_tech[r, n]
            tau = high_tech_rate if ht else cit_rate
            taxable_general = profit - super_deduction * rd_reported[r, n]
            taxable = taxable_general
            if listed:
                taxable = profit - listed_super_deduction * rd_reported[r, n]
            profit_before_tax[r, n] = profit
            cit[r, n] = tau * max(taxable, 0.0)
            employment = wages / wage_per_worker[r]
            # Tax expenditures, for the payer ledger: CIT forgone by the super-deductions
            # (of which the list's part beyond the general one) and by the high-tech rate.
            forgone_sd = tau * (max(profit, 0.0) - max(taxable, 0.0))
            forgone_listed = tau * (max(taxable_general, 0.0) - max(taxable, 0.0))
            forgone_ht = (cit_rate - high_tech_rate) * max(taxable, 0.0) if ht else 0.0
            by_sector_wages[r, s] += wages
            by_sector_value_added[r, s] += value_added
            by_sector_employment[r, s] += employment
            by_sector_vat[r, s] += vat
            by_sector_tax_expenditure_super_deduction[r, s] += forgone_sd
            by_sector_tax_expenditure_high_tech[r, s] += forgone_ht
            by_sector_tax_expenditure_listed_deduction[r, s] += forgone_listed
            by_sector_tax_expenditure_vat_credit[r, s] += vat_credit
            totals[0, r] += value_added
            totals[1, r] += employment
            if keep:
                by_firm_wages[r, n] = wages
                by_firm_value_added[r, n] = value_added
                by_firm_employment[r, n] = employment
                by_firm_vat[r, n] = vat
                by_firm_tax_expenditure_super_deduction[r, n] = forgone_sd
                by_firm_tax_expenditure_high_tech[r, n] = forgone_ht
                by_firm_tax_expenditure_listed_deduction[r, n] = forgone_listed
                by_firm_tax_expenditure_vat_credit[r, n] = vat_credit


@njit(cache=True)
def settle_firms(
    lay: SlotTables,
    f: SettleFirms,
    loan_term_years: float,
    dividend_cash_ratio: float,
    by_sector: SettleFlows,
    by_firm: SettleFlows,
) -> None:
    """Roll cash and loans forward (in place; see ``rules.settle_cash``).

    Net profit, repayment and dividends are summed by sector into ``by_sector``, and kept per
    firm in ``by_firm`` only if its rows have slots.
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    sector_of = lay.sector_of
    cash = f.cash
    profit_before_tax = f.profit_before_tax
    cit = f.cit
    subsidy_received = f.subsidy_received
    alive = f.alive
    debt = f.debt
    depreciation = f.depreciation
    flow_writeoff = f.flow_writeoff
    revenue = f.revenue
    flow_loans_new = f.flow_loans_new
    by_sector_net_profit = by_sector.net_profit
    by_sector_flow_repayment = by_sector.flow_repayment
    by_sector_flow_dividends = by_sector.flow_dividends
    by_firm_net_profit = by_firm.net_profit
    by_firm_flow_repayment = by_firm.flow_repayment
    by_firm_flow_dividends = by_firm.flow_dividends
    R, N = cash.shape
    keep = by_firm_net_profit.shape[1] > 0
    for row in by_sector:
        row[:] = 0.0
    for r in range(R):
        for n in range(N):
            net_profit = profit_before_tax[r, n] - cit[r, n] + subsidy_received[r, n]
            live = alive[r, n]
            repayment = min(debt[r, n] / loan_term_years, debt[r, n]) if live else 0.0
            # Cash already has investment paid and new loans added (rule 4).
            c = cash[r, n] + net_profit + depreciation[r, n] + flow_writeoff[r, n] - repayment
            dividends = max(c - dividend_cash_ratio * revenue[r, n], 0.0) if live else 0.0
            c = c - dividends
            overdraft = max(-c, 0.0)
            cash[r, n] = c + overdraft
            debt[r, n] = debt[r, n] - repayment + overdraft
            flow_loans_new[r, n] += overdraft  # the bank's overdraft is a new loan
            s = sector_of[n]
            by_sector_net_profit[r, s] += net_profit
            by_sector_flow_repayment[r, s] += repayment
            by_sector_flow_dividends[r, s] += dividends
            if keep:
                by_firm_net_profit[r, n] = net_profit
                by_firm_flow_repayment[r, n] = repayment
                by_firm_flow_dividends[r, n] = dividends
