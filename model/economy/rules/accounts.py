"""Rule 6, accounts: value added, wages, employment, taxes, profit; then cash and loans settled."""

from __future__ import annotations

import numpy as np
from numba import njit

from model.config.units import TINY
from model.economy.engine import Engine


def account(eng: Engine) -> None:
    """Revenue, value added, wages and employment, profit before tax and subsidy.

    Wages are the labour part of the machine-sensitive cost k1 / (pi e); intermediate
    inputs the rest of it plus k2. Profit before tax deducts wages, VAT, tax depreciation,
    write-offs, interest and real R&D; taxable profit also the R&D super-deduction on
    reported R&D, taxed at the high-tech rate for high-tech firms. The CIT forgone through
    the super-deduction and the high-tech rate is recorded for the payer ledger.
    """
    st, lay, par, exo = eng.state, eng.layout, eng.par, eng.exo
    out = eng.buffers("account", len(ACCOUNT_OUT))
    by_sector, firm_flows = eng.flow_blocks("account", ACCOUNT_FLOWS)
    totals = np.zeros((2, eng.R))
    account_firms(
        lay.sector_of,
        st.high_tech,
        st.k1,
        st.k2,
        par.labour_of_k1,
        st.process_productivity,
        st.machine_productivity,
        st.output_real,
        st.revenue,
        st.debt,
        st.depreciation,
        st.flow_writeoff,
        st.rd_real,
        st.rd_reported,
        np.broadcast_to(np.asarray(exo.wage_per_worker_m_yuan, dtype=float).reshape(-1), (eng.R,)),
        np.array(
            [exo.loan_rate, exo.vat_rate, exo.cit_rate, exo.high_tech_rate, exo.super_deduction],
            dtype=float,
        ),
        out,
        by_sector,
        totals,
        firm_flows,
    )
    for i, name in enumerate(ACCOUNT_OUT):
        setattr(st, name, out[i])
    eng.publish_flows(ACCOUNT_FLOWS, by_sector, firm_flows)
    st.value_added_total, st.employment_total = totals


def settle_cash(eng: Engine) -> None:
    """Roll cash and loans forward: profit after tax and subsidy, loan service, dividends.

    Cash that would go negative is covered by an overdraft loan, so cash >= 0 and the bank
    carries the shortfall; a firm with negative net worth exits in rule 7.
    """
    st, inv = eng.state, eng.scenario.investment
    by_sector, firm_flows = eng.flow_blocks("settle", SETTLE_FLOWS)
    settle_firms(
        st.alive,
        st.profit_before_tax,
        st.cit,
        st.subsidy_received,
        st.depreciation,
        st.flow_writeoff,
        st.revenue,
        float(inv.loan_term_years),
        inv.dividend_cash_ratio,
        st.cash,
        st.debt,
        st.flow_loans_new,
        eng.layout.sector_of,
        by_sector,
        firm_flows,
    )
    eng.publish_flows(SETTLE_FLOWS, by_sector, firm_flows)


# ---------------------------------------------------------------------------- compiled loops


@njit(cache=True)
def account_firms(
    sector_of: np.ndarray,
    high_tech: np.ndarray,
    k1: np.ndarray,
    k2: np.ndarray,
    labour_of_k1: np.ndarray,
    process_productivity: np.ndarray,
    machine_productivity: np.ndarray,
    output_real: np.ndarray,
    revenue: np.ndarray,
    debt: np.ndarray,
    depreciation: np.ndarray,
    flow_writeoff: np.ndarray,
    rd_real: np.ndarray,
    rd_reported: np.ndarray,
    wage_per_worker: np.ndarray,
    rates: np.ndarray,
    out: np.ndarray,
    by_sector: np.ndarray,
    totals: np.ndarray,
    firm_flows: np.ndarray,
) -> None:
    """Value added, wages, employment, taxes and profit before subsidy (see ``rules.account``).

    ``rates`` is (loan rate, VAT rate, CIT rate, high-tech rate, super-deduction);
    ``wage_per_worker`` is (R,). Profit and CIT, which the cash rule reads, go to the rows of
    ``out`` (``ACCOUNT_OUT``). What only the recorder reads (``ACCOUNT_FLOWS``) is summed by
    sector into ``by_sector`` (K, R, S), and value added and employment also over all firms
    in one running sum each into ``totals`` (2, R), which the recorder checks the sectors
    against; per firm, into ``firm_flows`` (K, R, N) only if it has slots (the rule-by-rule
    check asks for them).
    """
    R, N = output_real.shape
    loan_rate, vat_rate, cit_rate, high_tech_rate, super_deduction = (
        rates[0],
        rates[1],
        rates[2],
        rates[3],
        rates[4],
    )
    keep = firm_flows.shape[2] > 0
    by_sector[:] = 0.0
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
            vat = vat_rate * value_added
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
            taxable = profit - super_deduction * rd_reported[r, n]
            out[0, r, n] = profit
            out[1, r, n] = tau * max(taxable, 0.0)
            employment = wages / wage_per_worker[r]
            # Tax expenditures, for the payer ledger: CIT forgone by the super-deduction and
            # by the high-tech rate.
            forgone_sd = tau * (max(profit, 0.0) - max(taxable, 0.0))
            forgone_ht = (cit_rate - high_tech_rate) * max(taxable, 0.0) if ht else 0.0
            by_sector[0, r, s] += wages
            by_sector[1, r, s] += value_added
            by_sector[2, r, s] += employment
            by_sector[3, r, s] += vat
            by_sector[4, r, s] += forgone_sd
            by_sector[5, r, s] += forgone_ht
            totals[0, r] += value_added
            totals[1, r] += employment
            if keep:
                firm_flows[0, r, n] = wages
                firm_flows[1, r, n] = value_added
                firm_flows[2, r, n] = employment
                firm_flows[3, r, n] = vat
                firm_flows[4, r, n] = forgone_sd
                firm_flows[5, r, n] = forgone_ht


ACCOUNT_OUT = ("profit_before_tax", "cit")


#: Flows of ``account`` that only the recorder reads: summed by sector (``by_sector``).
ACCOUNT_FLOWS = (
    "wages",
    "value_added",
    "employment",
    "vat",
    "tax_expenditure_super_deduction",
    "tax_expenditure_high_tech",
)


@njit(cache=True)
def settle_firms(
    alive: np.ndarray,
    profit_before_tax: np.ndarray,
    cit: np.ndarray,
    subsidy_received: np.ndarray,
    depreciation: np.ndarray,
    flow_writeoff: np.ndarray,
    revenue: np.ndarray,
    loan_term_years: float,
    dividend_cash_ratio: float,
    cash: np.ndarray,
    debt: np.ndarray,
    flow_loans_new: np.ndarray,
    sector_of: np.ndarray,
    by_sector: np.ndarray,
    firm_flows: np.ndarray,
) -> None:
    """Roll cash and loans forward (in place; see ``rules.settle_cash``).

    Net profit, repayment and dividends (``SETTLE_FLOWS``) are summed by sector into
    ``by_sector`` (3, R, S), and kept per firm in ``firm_flows`` (3, R, N) only if it has
    slots.
    """
    R, N = cash.shape
    keep = firm_flows.shape[2] > 0
    by_sector[:] = 0.0
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
            by_sector[0, r, s] += net_profit
            by_sector[1, r, s] += repayment
            by_sector[2, r, s] += dividends
            if keep:
                firm_flows[0, r, n] = net_profit
                firm_flows[1, r, n] = repayment
                firm_flows[2, r, n] = dividends


#: Flows of ``settle_cash``, summed by sector.
SETTLE_FLOWS = ("net_profit", "flow_repayment", "flow_dividends")
