"""Accumulating cash-flow terms efficiently.

Almost every cost or benefit line is a time profile ``(n_months,)`` times a per-trial
coefficient ``(n_trials,)``. Summing ``k`` such terms one by one costs ``k`` passes over an
``(n_months, n_trials)`` array; stacking them and doing one matrix product ``P @ C`` costs
one. Terms whose profile already varies per trial go straight into a dense accumulator.
Terms scaled by effective use ``E(m)`` get their own product, multiplied by ``E`` once.
Means over trials by category (for the charts) come from the same factors without
forming each term: ``mean_n(profile · coef) = profile · mean(coef)`` and
``mean_n(E ⊙ profile ⊗ coef) = profile · (E @ coef) / n``; where risk events or a failed
gate keep only a share ``K`` of some cells, ``profile · (K @ coef)`` and
``profile · ((E ⊙ K) @ coef)``: one matrix product for all terms of a group. Terms timed
per trial (slip, a budget's deferral) are grouped by their window
(:mod:`costmodel.engine.windows`) and summed only over its months, in compiled code.
"""

from __future__ import annotations

import numpy as np

from .rollout import AdoptionCurves
from .trials import per_trial
from .windows import TrialWindow

__all__ = ["FlowAccumulator", "add_sums", "present_value"]


def add_sums(target: dict[str, np.ndarray], label: str, values: np.ndarray) -> None:
    """``target[label] += values`` for per-label monthly sums, never aliasing ``values``."""
    target[label] = target[label] + values if label in target else np.array(values, float)


class FlowAccumulator:
    """Collects ``profile ⊗ coefficient`` terms and sums them in one product.

    Parameters
    ----------
    n_months, n_trials : int
    use : ndarray, shape (n_months, n_trials), or AdoptionCurves
        Effective use ``E(m)``, for terms added with ``scaled_by_use=True`` (as curves:
        written out on first use of :attr:`use`, which a present value of profiles that
        hold through each calendar year does without).
    watch_month : ndarray of int, shape (n_trials,), optional
        A month per trial whose *running* amount (see :meth:`add`) is kept, for a stage
        gate's run-rate measurement: :attr:`running` (``n_months`` or more: not watched).
    """

    def __init__(self, n_months: int, n_trials: int, use: np.ndarray | AdoptionCurves | None,
                 watch_month: np.ndarray | None = None):
        self.n_months = n_months
        self.n_trials = n_trials
        self._use = use
        self.watch_month = watch_month
        self.running = np.zeros(n_trials)
        self._plain: list[tuple[np.ndarray, np.ndarray, str]] = []
        self._scaled: list[tuple[np.ndarray, np.ndarray, str]] = []
        #: terms with a per-trial window, grouped by window: id -> (window, plain, scaled)
        self._masked: dict[int, tuple[TrialWindow, list, list]] = {}
        self._dense: np.ndarray | None = None
        self._dense_terms: list[tuple[np.ndarray, str]] = []
        #: terms added with a ``tag`` are also collected here, one accumulator per tag
        self.tagged: dict[str, FlowAccumulator] = {}

    def add(self, label: str, profile: np.ndarray, coefficient, *, scaled_by_use: bool = False,
            running: np.ndarray | None = None, tag: str | None = None,
            mask: TrialWindow | None = None, running_mask: TrialWindow | None = None):
        """Add ``profile ⊗ coefficient`` (times ``mask``; times ``E`` when
        ``scaled_by_use``) under ``label``.

        ``profile`` is ``(n_months,)`` or ``(n_months, n_trials)``; ``coefficient`` a scalar
        or ``(n_trials,)``; ``mask`` a per-trial timing (a phase's months live, its lead
        window) as a :class:`~costmodel.engine.windows.TrialWindow`: terms that share one
        window are summed in one compiled pass over it, no mask array written out.
        ``running`` is the term's run-rate profile: the profile itself for a monthly cost,
        a twelfth a month for a yearly one, ``None`` for one-time amounts, times
        ``running_mask`` (default: ``mask``). A ``tag`` also adds the term to
        ``tagged[tag]`` (to follow some items on their own, e.g. those a lease finances).
        """
        coefficient = per_trial(coefficient, self.n_trials)
        if tag is not None:
            if tag not in self.tagged:
                self.tagged[tag] = FlowAccumulator(self.n_months, self.n_trials, self._use)
            self.tagged[tag].add(label, profile, coefficient, scaled_by_use=scaled_by_use,
                                 mask=mask)
        if running is not None and self.watch_month is not None:
            self._watch(running, coefficient, scaled_by_use,
                        mask if running_mask is None else running_mask)
        if mask is not None and profile.ndim == 2:
            profile = profile * mask.array()
        elif mask is not None:
            if id(mask) not in self._masked:
                self._masked[id(mask)] = (mask, [], [])
            self._masked[id(mask)][2 if scaled_by_use else 1].append(
                (profile, coefficient, label))
            return
        if profile.ndim == 1:
            target = self._scaled if scaled_by_use else self._plain
            target.append((profile, coefficient, label))
            return
        term = profile * coefficient
        if scaled_by_use:
            term *= self.use
        self._dense = term.copy() if self._dense is None else np.add(self._dense, term,
                                                                        out=self._dense)
        self._dense_terms.append((term, label))

    def _watch(self, running: np.ndarray, coefficient: np.ndarray, scaled_by_use: bool,
               mask: TrialWindow | None) -> None:
        """Add the term's run rate in each trial's watched month to :attr:`running`."""
        month = self.watch_month
        watched = month < self.n_months
        if not watched.any():
            return
        row = np.minimum(month, self.n_months - 1)
        columns = np.arange(self.n_trials)
        value = (running[row] if running.ndim == 1 else running[row, columns]) * coefficient
        if mask is not None:
            value = value * mask.at(row)
        if scaled_by_use:
            value = value * self.use[row, columns]
        self.running += np.where(watched, value, 0.0)

    def take(self, columns: np.ndarray) -> FlowAccumulator:
        """The same terms for the trials at ``columns`` only (for :meth:`sums_by_label` or
        :meth:`total` on a few trials; not watched, no tagged accumulators)."""
        def terms(group):
            return [(profile, coefficient[columns], label)
                    for profile, coefficient, label in group]

        use = None if self.use is None else np.take(self.use, columns, axis=1)
        sub = FlowAccumulator(self.n_months, len(columns), use)
        sub._plain, sub._scaled = terms(self._plain), terms(self._scaled)
        sub._masked = {key: (window.take(columns), terms(plain), terms(scaled))
                       for key, (window, plain, scaled) in self._masked.items()}
        sub._dense_terms = [(np.take(term, columns, axis=1), label)
                            for term, label in self._dense_terms]
        if self._dense is not None:
            sub._dense = np.take(self._dense, columns, axis=1)
        return sub

    @property
    def use(self) -> np.ndarray | None:
        """Effective use ``E(m)`` ``(n_months, n_trials)`` (curves written out here)."""
        return self._use.array() if isinstance(self._use, AdoptionCurves) else self._use

    @property
    def has_use(self) -> bool:
        """Whether the group has adoption of its own, to scale terms by."""
        return self._use is not None

    @property
    def varies_by_trial(self) -> bool:
        """Whether some term's profile varies by trial (written out with its mask, if any,
        multiplied in)."""
        return bool(self._dense_terms)

    def retimed(self, use: np.ndarray | AdoptionCurves | None, timed) -> FlowAccumulator:
        """The same terms timed again, for a present value: each mask's terms by
        ``timed(mask)``, a profile and a mask (``None``: the profile alone, multiplied
        in); ``use`` for the terms scaled by use. Not watched, no tagged accumulators;
        terms whose profile varies by trial cannot be re-timed (see
        :attr:`varies_by_trial`)."""
        if self.varies_by_trial:
            raise ValueError("terms whose profile varies by trial cannot be re-timed")
        out = FlowAccumulator(self.n_months, self.n_trials, use)
        out._plain, out._scaled = list(self._plain), list(self._scaled)
        for mask, plain, scaled in self._masked.values():
            profile, again = timed(mask)
            if again is None:
                out._plain += [(f * profile, c, label) for f, c, label in plain]
                out._scaled += [(f * profile, c, label) for f, c, label in scaled]
            else:  # a mask's profile is ones: the terms' profiles stand as they are
                entry = out._masked.setdefault(id(again), (again, [], []))
                entry[1].extend(plain)
                entry[2].extend(scaled)
        return out

    @property
    def empty(self) -> bool:
        return not (self._plain or self._scaled or self._masked or self._dense_terms)

    def total(self) -> np.ndarray:
        """The sum of every term, shape ``(n_months, n_trials)``."""
        out = None
        if self._plain:
            profiles, coefficients = self._stacked(self._plain)
            out = profiles @ coefficients
        if self._scaled:
            profiles, coefficients = self._stacked(self._scaled)
            scaled = profiles @ coefficients
            scaled *= self.use
            out = scaled if out is None else np.add(out, scaled, out=out)
        for mask, plain, scaled_terms in self._masked.values():
            if out is None:
                out = np.zeros((self.n_months, self.n_trials))
            if plain:  # one pass over the window, no mask written out
                mask.product_add(out, *self._merged(plain))
            if scaled_terms:
                profiles, coefficients = self._stacked(scaled_terms)
                scaled = profiles @ coefficients
                scaled *= self.use
                scaled *= mask.array()
                out += scaled
        if self._dense is not None:
            out = self._dense.copy() if out is None else np.add(out, self._dense, out=out)
        return np.zeros((self.n_months, self.n_trials)) if out is None else out

    def project(self, matrix: np.ndarray) -> np.ndarray:
        """``matrix @ total()``, ``(k, n_trials)`` for ``matrix`` ``(k, n_months)`` whose rows
        split the months into consecutive periods (fiscal years, say: a single 1 in each
        column), the same sums up to rounding: ``(matrix @ P) @ C`` for plain terms, and a
        short window's terms (a lead window, a dip) summed by period over its months;
        the other terms (scaled by use, over long windows, dense) through their monthly
        flows."""
        out = np.zeros((matrix.shape[0], self.n_trials))
        if matrix.shape[0] == 0:
            return out
        period = matrix.argmax(axis=0)  # each month's row
        if self._plain:
            profiles, coefficients = self._stacked(self._plain)
            out += (matrix @ profiles) @ coefficients
        rest = FlowAccumulator(self.n_months, self.n_trials, self._use)
        rest._scaled, rest._dense, rest._dense_terms = self._scaled, self._dense, self._dense_terms
        for key, (mask, plain, scaled_terms) in self._masked.items():
            if scaled_terms or mask.dense:
                rest._masked[key] = (mask, plain, scaled_terms)
                continue
            profiles, coefficients = self._stacked(plain)
            out += mask.period_sums(profiles, coefficients, period, matrix.shape[0])
        if not rest.empty:
            out += matrix @ rest.total()
        return out

    def present_value(self, discount: np.ndarray) -> np.ndarray:
        """``discount @ total()``, the present value of every term per trial ``(n_trials,)``
        (see :func:`present_value`)."""
        return present_value([(self, 1.0)], discount)

    @staticmethod
    def _stacked(terms) -> tuple[np.ndarray, np.ndarray]:
        """Profiles ``(n_months, k)`` and coefficients ``(k, n_trials)`` of ``terms``, each
        C-ordered (``np.array`` of the list: ``np.stack``'s result, in one call where
        ``np.stack`` makes a dozen in Python)."""
        profiles = np.array([p for p, _, _ in terms], dtype=float).T.copy()
        coefficients = np.array([c for _, c, _ in terms], dtype=float)
        return profiles, coefficients

    @staticmethod
    def _merged(terms) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_stacked`, the coefficients of terms with the same profile (one-time
        costs over a lead window, running costs with the same escalation) summed into one
        row: fewer terms for a compiled pass over a window, the same product up to
        rounding."""
        profiles: list[np.ndarray] = []
        coefficients: list[np.ndarray] = []
        for profile, coefficient, _ in terms:
            same = next((k for k, known in enumerate(profiles)
                         if known is profile or np.array_equal(known, profile)), None)
            if same is None:
                profiles.append(profile)
                coefficients.append(coefficient)
            else:
                coefficients[same] = coefficients[same] + coefficient
        return (np.array(profiles, dtype=float).T.copy(),
                np.array(coefficients, dtype=float))

    def _weighted_sums(self, sums: dict[str, np.ndarray], terms, weight: np.ndarray) -> None:
        """Per-label sums over trials of ``terms`` times ``weight`` ``(n_months, n)``: one
        product ``weight @ coefficients.T`` for all of them."""
        profiles, coefficients = self._stacked(terms)
        weighted = weight @ coefficients.T  # (n_months, k)
        for k, (_, _, label) in enumerate(terms):
            add_sums(sums, label, profiles[:, k] * weighted[:, k])

    def sums_by_label(self, keep: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Sum over trials of each label's terms, per month, shape ``(n_months,)``; with
        ``keep`` ``(n_months, n_trials)``, of the terms times ``keep`` (the share of each
        cell that risk events and a failed gate leave)."""
        sums: dict[str, np.ndarray] = {}
        if self._plain:
            if keep is None:
                for profile, coefficient, label in self._plain:
                    add_sums(sums, label, profile * coefficient.sum())
            else:
                self._weighted_sums(sums, self._plain, keep)
        if self._scaled:
            # one pass over E (times keep) for all terms: (E @ coefficients.T)[m, k]
            self._weighted_sums(sums, self._scaled,
                                self.use if keep is None else self.use * keep)
        for mask, plain, scaled_terms in self._masked.values():
            if plain:
                profiles, coefficients = self._stacked(plain)
                weighted = mask.weighted_sums(coefficients, keep)
                for k, (_, _, label) in enumerate(plain):
                    add_sums(sums, label, profiles[:, k] * weighted[:, k])
            if scaled_terms:
                weight = mask.array() * self.use
                self._weighted_sums(sums, scaled_terms, weight if keep is None else weight * keep)
        for term, label in self._dense_terms:
            add_sums(sums, label, (term if keep is None else term * keep).sum(axis=1))
        return sums


def present_value(groups, discount: np.ndarray) -> np.ndarray:
    """``Σ sign · discount @ group.total()`` over ``groups`` (pairs of an accumulator and a
    sign, ``±1.0``: benefits less costs, say), per trial ``(n_trials,)``, without forming
    any total: ``(d·P)ᵀ @ C`` for plain terms, and ``(d ⊙ P)ᵀ @ W`` then summed with
    ``C`` where a weight ``W`` (the use ``E``, a mask, or both) varies by trial, ``(k, n)``
    products instead of ``(n_months, n)`` arrays. The groups' plain terms go through one
    product, and the terms scaled by one use (a phase's costs and benefits) through one:
    on :class:`~costmodel.engine.rollout.AdoptionCurves` with profiles that hold through
    each calendar year, ``P_yᵀ @ D`` with ``D`` the curves' discounted sums by year
    (never written out month by month). A sign multiplies the profiles (exactly).
    ``discount`` ``(n_months,)`` is the discount factor of each month."""
    groups = [(group, sign) for group, sign in groups if group is not None]
    out = np.zeros(groups[0][0].n_trials)
    groups = [(group, sign) for group, sign in groups if not group.empty]
    stacked = FlowAccumulator._stacked

    def signed(terms, sign: float) -> list:
        return terms if sign == 1.0 else [(p * sign, c, label) for p, c, label in terms]

    plain = [term for group, sign in groups for term in signed(group._plain, sign)]
    if plain:
        profiles, coefficients = stacked(plain)
        out += (discount @ profiles) @ coefficients
    by_use: dict[int, tuple[np.ndarray | AdoptionCurves, list]] = {}
    for group, sign in groups:
        if group._scaled:
            by_use.setdefault(id(group._use), (group._use, []))[1].extend(
                signed(group._scaled, sign))
    for use, terms in by_use.values():
        _weighted_present_value(out, discount, terms, use)
    for group, sign in groups:
        for mask, plain_terms, scaled_terms in group._masked.values():
            if plain_terms:
                profiles, coefficients = stacked(signed(plain_terms, sign))
                out += mask.present_value(profiles * discount[:, None], coefficients)
            if scaled_terms:
                _weighted_present_value(out, discount, signed(scaled_terms, sign),
                                        mask.array() * group.use)
        if group._dense is not None:
            out += sign * (discount @ group._dense)
    return out


def _weighted_present_value(out: np.ndarray, discount: np.ndarray, terms,
                            weight: np.ndarray | AdoptionCurves) -> None:
    """Add ``Σ_m d_m Σ_k P[m, k] C[k, t] W[m, t]`` to ``out``, as ``Σ_k C ⊙ ((d ⊙ P)ᵀ @ W)``;
    for ``W`` adoption curves and profiles that hold through each calendar year, as
    ``Σ_k C ⊙ (P_yᵀ @ D)`` with ``D`` the curves' discounted sums by year: ``(k, n_years)
    @ (n_years, n)``, no ``(n_months, n)`` array."""
    profiles, coefficients = FlowAccumulator._stacked(terms)
    years = profiles[::12]
    if (isinstance(weight, AdoptionCurves)
            and np.array_equal(np.repeat(years, 12, axis=0)[:profiles.shape[0]], profiles)):
        weighted = years.T @ weight.discounted_by_year(discount)
    else:
        if isinstance(weight, AdoptionCurves):
            weight = weight.array()
        weighted = (profiles * discount[:, None]).T @ weight  # (k, n)
    weighted *= coefficients
    out += weighted.sum(axis=0)
