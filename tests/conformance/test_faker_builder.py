"""The ``cpe`` Faker provider and the document builder: valid identities, real places, and
documents whose every amount SUNAT's rules recompute the same way."""
from __future__ import annotations

from decimal import Decimal

import pytest

from osemock.fixtures.builder import Emitter, Line, Totals, credit_note, debit_note, invoice
from osemock.fixtures.faker_cpe import (cpe_faker, dni_check_character, is_valid_ruc, ruc_check_digit, ubigeos)
from osemock.server.rules.lint import lint

EMITTER = Emitter("20123456789", "EMPRESA DE PRUEBAS OSEMOCK S.A.C.")


def test_ruc_check_digits():
    assert ruc_check_digit("2010007097") == "0"        # 20100070970, a RUC the samples use
    assert is_valid_ruc("20100070970") and not is_valid_ruc("20100070971") and not is_valid_ruc("2010007097")
    fake = cpe_faker(seed=1)
    assert all(is_valid_ruc(fake.ruc()) and is_valid_ruc(fake.ruc_persona()) for _ in range(200))
    with pytest.raises(ValueError):
        ruc_check_digit("12")


def test_dni_and_its_check_character():
    fake = cpe_faker(seed=2)
    dni = fake.dni()
    assert len(dni) == 8 and dni.isdigit() and dni_check_character(dni).isdigit()
    assert fake.ruc_persona()[:2] == "10"


def test_ubigeos_are_districts_of_catalog_13():
    places = ubigeos()
    assert len(places) > 1800
    miraflores = next(p for p in places if p.code == "150122")
    assert (miraflores.department, miraflores.province, miraflores.district) == ("LIMA", "LIMA", "MIRAFLORES")
    assert cpe_faker(seed=3).ubigeo() in places


def test_seeded_fakers_repeat_themselves():
    assert cpe_faker(seed=9).company_party() == cpe_faker(seed=9).company_party()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("affectations, discount, currency", [
    (("10",), "0", "PEN"), (("20", "30"), "0", "PEN"), (("11",), "0", "PEN"), (("10",), "0.10", "PEN"),
    (("10",), "0", "USD"),
])
def test_generated_documents_pass_the_validation_engine(seed, affectations, discount, currency):
    fake = cpe_faker(seed)
    lines = [fake.cpe_line(affectations[i % len(affectations)]) for i in range(1 + seed)]
    customer = fake.company_party() if seed % 2 else fake.person_party()
    number = ("F001" if seed % 2 else "B001") + f"-{seed + 1}"
    xml = invoice(EMITTER, number, customer, lines, currency=currency, discount_rate=Decimal(discount))
    result = lint(xml)
    assert result.accepted, [(f.code, f.xpath, f.message) for f in result.findings]
    reference = ("01" if seed % 2 else "03", number)
    for note in (credit_note(EMITTER, number[0] + "C01-1", customer, lines[:1], reference, "07", currency=currency),
                 debit_note(EMITTER, number[0] + "D01-1", customer, lines[:1], reference, "02", currency=currency)):
        assert lint(note).accepted, [(f.code, f.message) for f in lint(note).findings]


def test_isc_and_icbper_totals_add_up():
    fake = cpe_faker(seed=4)
    lines = [fake.cpe_line(isc_rate=Decimal("0.17")), fake.bag_line(), fake.cpe_line()]
    totals = Totals(lines)
    isc, bags = totals.by_scheme["2000"][1], totals.by_scheme["7152"][1]
    assert isc == lines[0].isc and bags == lines[1].quantity * Decimal("0.50")
    assert totals.payable == sum((l.value + l.tax for l in lines), Decimal(0))
    assert lint(invoice(EMITTER, "F001-9", fake.company_party(), lines)).accepted


def test_a_line_the_builder_cannot_write_is_refused():
    with pytest.raises(ValueError, match="affectation"):
        Line("EXPORTACION", Decimal(1), Decimal(10), "40")
    with pytest.raises(ValueError, match="worth 0.00"):  # no tax base above zero (3105): no sale
        Line("TORNILLO", Decimal("0.001"), Decimal("0.10"), "10")


def test_isc_with_a_global_discount_adds_up():
    """The IGV of a factura with a discount is on the lines' IGV bases (value and ISC) less the
    discount (3291): it was computed on the values alone."""
    fake = cpe_faker(seed=0)
    lines = [fake.cpe_line("10", Decimal("0.17")), fake.cpe_line("10")]
    result = lint(invoice(EMITTER, "F001-31", fake.company_party(), lines, discount_rate=Decimal("0.10")))
    assert result.accepted, [(f.code, f.xpath, f.message) for f in result.findings]


@pytest.mark.parametrize("quantity, unit_value, affectation", [
    ("1000", "12.3456789012", "10"), ("1000", "1.005", "20"), ("100", "0.004", "10"), ("2.5", "3.333", "30")])
def test_unit_values_keep_their_decimals(quantity, unit_value, affectation):
    """Unit values and prices are written with up to ten decimals, as SUNAT takes them: at two, the
    line's value no longer was quantity x unit value (3271), and a price of 0.004 was 0.00 (2369)."""
    fake = cpe_faker(seed=1)
    line = Line("PERNO", Decimal(quantity), Decimal(unit_value), affectation)
    result = lint(invoice(EMITTER, "F001-32", fake.company_party(), [line]))
    assert result.accepted, [(f.code, f.xpath, f.message) for f in result.findings]
