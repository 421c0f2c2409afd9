"""CSV import and export of products: service, pages and management commands."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from commerce.catalog.csv_io import COLUMNS, read_products_csv, write_products_csv
from commerce.catalog.models import Product
from commerce.catalog.services import ProductImportError, product_import
from tests.factories import PortalFactory, ProductFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def csv_bytes(*rows, header=HEADER, bom=False):
    text = "\r\n".join([header, *rows]) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def snapshot(portal):
    fields = ["name", "sku", "description", "unit_price", "unit_cost"]
    fields += ["billing_frequency", "term_periods", "archived"]
    return list(Product.objects.filter(portal=portal).order_by("name", "id").values_list(*fields))


# --- Service ---------------------------------------------------------------------


def test_import_creates_products_with_amounts_in_cents(portal):
    content = csv_bytes(
        'Starter plan,PLAN-S,"Up to 5 seats, email support",49.00,9,monthly,,false',
        'Workshop,SVC-W,,"$1,500.00",400,One-time,,',
        "Growth plan,PLAN-G,,149,26,Monthly,12,",
    )
    result = product_import(portal=portal, content=content)
    assert (result.created, result.updated) == (3, 0)
    assert result.summary == "3 created, 0 updated"
    starter = Product.objects.get(portal=portal, sku="PLAN-S")
    assert starter.description == "Up to 5 seats, email support"
    assert (starter.unit_price, starter.unit_cost, starter.billing_frequency) == (
        4900,
        900,
        "monthly",
    )
    workshop = Product.objects.get(portal=portal, sku="SVC-W")
    assert (workshop.unit_price, workshop.billing_frequency, workshop.term_periods) == (
        150000,
        "one_time",
        None,
    )
    assert Product.objects.get(portal=portal, sku="PLAN-G").term_periods == 12


def test_import_updates_products_whose_sku_matches_ignoring_case(portal, other_portal):
    mine = ProductFactory(portal=portal, sku="PLAN-S", name="Old name", unit_price=100)
    theirs = ProductFactory(portal=other_portal, sku="PLAN-S", name="Theirs", unit_price=100)
    result = product_import(
        portal=portal,
        content=csv_bytes("New name,plan-s,,49,,monthly,,", "Brand new,NEW-1,,10,,,,"),
    )
    assert result.summary == "1 created, 1 updated"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.name, mine.sku, mine.unit_price) == ("New name", "plan-s", 4900)
    assert (theirs.name, theirs.unit_price) == ("Theirs", 100)


def test_columns_missing_from_the_file_keep_the_products_values(portal):
    product = ProductFactory(
        portal=portal, sku="KEEP", description="Kept", billing_frequency="monthly", term_periods=6
    )
    product_import(
        portal=portal, content=csv_bytes("Renamed,KEEP,79", header="name,sku,unit_price")
    )
    product.refresh_from_db()
    assert (product.name, product.unit_price) == ("Renamed", 7900)
    assert (product.description, product.billing_frequency, product.term_periods) == (
        "Kept",
        "monthly",
        6,
    )


def test_import_with_any_bad_row_imports_nothing_and_numbers_every_problem(portal):
    ProductFactory(portal=portal, sku="EXIST", name="Existing", unit_price=100)
    content = csv_bytes(
        "Good,GOOD-1,,10,,,,",  # row 2
        "Changed,EXIST,,20,,,,",  # row 3: valid update
        "Negative,NEG,,-5,,,,",  # row 4
        "Too precise,PREC,,1.999,,,,",  # row 5
        "One-time with term,TERM,,10,,one_time,12,",  # row 6
        "Widget,ABC,,10,,,,",  # row 7
        "Widget again,abc,,10,,,,",  # row 8
        ",NONAME,,10,,,,",  # row 9
        "Bad freq,FREQ,,10,,fortnightly,,",  # row 10
    )
    with pytest.raises(ProductImportError) as exc:
        product_import(portal=portal, content=content)
    errors = exc.value.errors
    assert "Row 4 (unit_price): The amount cannot be negative." in errors
    assert "Row 5 (unit_price): Use at most 2 decimal places." in errors
    assert "Row 6 (term_periods): One-time products have no term." in errors
    assert "Row 8: SKU “abc” is already used by “Widget” on row 7." in errors
    assert "Row 9 (name): This field is required." in errors
    assert any(e.startswith("Row 10 (billing_frequency): “fortnightly”") for e in errors)
    assert len(errors) == 6
    assert not any(e.startswith(("Row 2", "Row 3", "Row 7")) for e in errors)
    assert Product.objects.filter(portal=portal).count() == 1
    assert Product.objects.get(portal=portal).name == "Existing"


def test_import_reports_a_row_with_more_cells_than_columns(portal):
    with pytest.raises(ProductImportError) as exc:
        product_import(portal=portal, content=csv_bytes("A,B,C,1,2,monthly,3,false,extra"))
    assert exc.value.errors[0].startswith("Row 2: 9 cells but only 8 columns.")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04\x14\x00binary", "This is an Excel workbook, not a CSV file."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "This doesn't look like a CSV file"),
        ("name,unit_price\nCaf\xe9,1\n".encode("latin-1"), "The file is not UTF-8 text."),
        (b"name,price\nA,1\n", "Unknown column “price”."),
        (b"name,sku\nA,B\n", "The file has no “unit_price” column."),
        (b"name,unit_price,name\nA,1,B\n", "The column “name” appears more than once."),
        (b"name,unit_price\n", "The file has column names but no products."),
        (b'name,unit_price\n"unterminated,1\n', "the file isn't valid CSV"),
    ],
)
def test_unreadable_files_get_a_clear_message(portal, content, message):
    with pytest.raises(ProductImportError) as exc:
        product_import(portal=portal, content=content)
    assert len(exc.value.errors) == 1
    assert message in exc.value.errors[0]


def test_file_over_5_mb_is_refused(portal):
    content = csv_bytes(header="name,unit_price") + b"x" * (5 * 1024 * 1024)
    with pytest.raises(ProductImportError) as exc:
        product_import(portal=portal, content=content)
    assert exc.value.errors == ["The file is larger than 5 MB. Split it into smaller files."]


def test_more_than_10000_rows_are_refused(portal):
    rows = [f"P{i},,1" for i in range(10_001)]
    with pytest.raises(ProductImportError) as exc:
        product_import(portal=portal, content=csv_bytes(*rows, header="name,sku,unit_price"))
    assert exc.value.errors == [
        "The file has more than 10,000 products. Split it into smaller files."
    ]
    assert not Product.objects.filter(portal=portal).exists()


def test_header_names_are_forgiving_and_the_bom_is_ignored(portal):
    content = csv_bytes("Widget,W-1,12.50", header="Name , SKU,Unit Price", bom=True)
    assert product_import(portal=portal, content=content).created == 1
    assert Product.objects.get(portal=portal).unit_price == 1250


def test_blank_lines_are_skipped_and_row_numbers_stay_those_of_the_spreadsheet(portal):
    content = csv_bytes("A,A-1,1", ",,", "B,B-1,-1", header="name,sku,unit_price")
    with pytest.raises(ProductImportError) as exc:
        product_import(portal=portal, content=content)
    assert exc.value.errors == ["Row 4 (unit_price): The amount cannot be negative."]


def test_export_then_import_into_another_portal_round_trips_exactly(portal):
    ProductFactory(portal=portal, name="Plain", sku="P-1", unit_price=4900, unit_cost=None)
    ProductFactory(
        portal=portal,
        name='Quote "this", please',
        sku="=HYPERLINK(1)",
        description="Line one\nLine two, with comma\n-starts-with-minus",
        unit_price=99_999_999,
        unit_cost=1,
        billing_frequency="every_5_years",
        term_periods=1000,
        archived=True,
    )
    ProductFactory(portal=portal, name="+Plus", sku="", description="@at", unit_price=0)
    buffer = io.StringIO()
    write_products_csv(Product.objects.filter(portal=portal).order_by("name"), buffer)
    target = PortalFactory()
    result = product_import(portal=target, content=buffer.getvalue().encode("utf-8"))
    assert result.summary == "3 created, 0 updated"
    assert snapshot(target) == snapshot(portal)


def test_reimporting_an_export_updates_in_place_and_changes_nothing(portal):
    ProductFactory.create_batch(3, portal=portal)
    before = snapshot(portal)
    buffer = io.StringIO()
    write_products_csv(Product.objects.filter(portal=portal), buffer)
    stamps = list(Product.objects.filter(portal=portal).values_list("updated_at", flat=True))
    result = product_import(portal=portal, content=buffer.getvalue().encode())
    assert result.summary == "0 created, 3 updated"
    assert snapshot(portal) == before
    # Nothing changed, so nothing was written.
    assert (
        list(Product.objects.filter(portal=portal).values_list("updated_at", flat=True)) == stamps
    )


def test_formula_cells_are_escaped_in_the_export():
    product = Product(name="=cmd()", sku="@SUM", description="-1", unit_price=100)
    buffer = io.StringIO()
    write_products_csv([product], buffer)
    row = buffer.getvalue().splitlines()[1]
    assert row.startswith("'=cmd(),'@SUM,'-1,1.00")
    rows = read_products_csv(buffer.getvalue().encode())
    assert rows[0].values["name"] == "=cmd()"


# --- Pages -------------------------------------------------------------------------


def upload(client, content, name="products.csv"):
    return client.post(
        reverse("catalog:import"), {"file": SimpleUploadedFile(name, content, "text/csv")}
    )


def test_import_page_documents_every_column(rep_client):
    response = rep_client.get(reverse("catalog:import"))
    assert response.status_code == 200
    for column in COLUMNS:
        assert f"<code>{column}</code>" in response.content.decode()
    assert "Every two weeks" in response.content.decode()


def test_import_page_imports_and_says_how_many_were_created_and_updated(portal, rep_client):
    ProductFactory(portal=portal, sku="EXIST")
    response = upload(rep_client, csv_bytes("A,EXIST,,1,,,,", "B,NEW,,2,,,,"), "p.csv")
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:list")
    page = rep_client.get(response["Location"])
    assert "Import finished: 1 created, 1 updated." in page.content.decode()


def test_import_page_lists_row_errors_and_changes_nothing(portal, rep_client):
    response = upload(rep_client, csv_bytes("Good,G,,1,,,,", "Bad,B,,-1,,,,"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was imported." in html
    assert "<li>Row 3 (unit_price): The amount cannot be negative.</li>" in html
    assert not Product.objects.filter(portal=portal).exists()


def test_import_page_explains_a_non_csv_upload_instead_of_failing(portal, rep_client):
    response = upload(rep_client, b"\x89PNG\r\n\x1a\n\x00\x00binary", "logo.png")
    assert response.status_code == 200
    assert "This doesn&#x27;t look like a CSV file" in response.content.decode()


def test_import_page_requires_a_file(rep_client):
    response = rep_client.post(reverse("catalog:import"), {})
    assert response.status_code == 200
    assert "Choose a CSV file to import." in response.content.decode()


def test_import_page_imports_into_the_current_portal_only(portal, other_portal, rep_client):
    ProductFactory(portal=other_portal, sku="SHARED", name="Theirs")
    upload(rep_client, csv_bytes("Mine,SHARED,,1,,,,"))
    assert Product.objects.get(portal=portal, sku="SHARED").name == "Mine"
    assert Product.objects.get(portal=other_portal, sku="SHARED").name == "Theirs"


def test_billing_admin_cannot_import(billing_client):
    assert billing_client.get(reverse("catalog:import")).status_code == 403
    assert upload(billing_client, csv_bytes("A,A,,1,,,,")).status_code == 403
    assert not Product.objects.exists()


def test_export_downloads_every_product_of_the_portal_only(portal, other_portal, billing_client):
    ProductFactory(portal=portal, name="Active one", sku="A-1", unit_price=4900)
    ProductFactory(portal=portal, name="Archived one", sku="A-2", archived=True)
    ProductFactory(portal=other_portal, name="Not mine", sku="X-1")
    response = billing_client.get(reverse("catalog:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="products-acme-test-co-'
    )
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert lines[1].startswith("Active one,A-1,,49.00,25.00,one_time,,false")
    assert "Archived one" in text
    assert "Not mine" not in text


# --- Management commands ------------------------------------------------------------


def test_import_command_imports_by_portal_name_and_prints_the_summary(portal, tmp_path):
    path = tmp_path / "products.csv"
    path.write_bytes(csv_bytes("A,A-1,,1,,,,", "B,B-1,,2,,,,"))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_products", "--portal", "acme test co.", str(path), stdout=out, stderr=err)
    assert "Imported into Acme Test Co.: 2 created, 0 updated." in out.getvalue()
    assert "Validating" in err.getvalue()
    assert "Importing" in err.getvalue()
    assert Product.objects.filter(portal=portal).count() == 2


def test_import_command_fails_with_every_row_error_and_imports_nothing(portal, tmp_path):
    path = tmp_path / "products.csv"
    path.write_bytes(csv_bytes("A,A-1,,1,,,,", "B,B-1,,-2,,,,", "C,a-1,,3,,,,"))
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_products", "--portal", str(portal.pk), str(path), stderr=err)
    assert exc.value.returncode == 1
    assert str(exc.value) == "Nothing was imported into Acme Test Co.: 2 problems."
    assert "Row 3 (unit_price): The amount cannot be negative." in err.getvalue()
    assert "Row 4: SKU “a-1” is already used by “A” on row 2." in err.getvalue()
    assert not Product.objects.exists()


def test_import_command_exits_non_zero_from_the_command_line(portal, tmp_path, capsys):
    from django.core.management import ManagementUtility

    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes("Bad,B,,-1,,,,"))
    argv = ["manage.py", "import_products", "--portal", str(portal.pk), str(path)]
    with pytest.raises(SystemExit) as exc:
        ManagementUtility(argv).execute()
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "Row 2 (unit_price): The amount cannot be negative." in err
    assert "CommandError: Nothing was imported into Acme Test Co.: 1 problem." in err


def test_import_command_refuses_an_unknown_portal_and_a_missing_file(portal, tmp_path):
    with pytest.raises(CommandError, match=r"No portal has the id or name “Nope”\."):
        call_command("import_products", "--portal", "Nope", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="Can't read"):
        call_command("import_products", "--portal", str(portal.pk), str(tmp_path / "missing.csv"))


def test_import_command_asks_for_an_id_when_portal_names_are_ambiguous(db):
    PortalFactory(name="Twin")
    PortalFactory(name="twin")
    with pytest.raises(CommandError, match="Several portals are named “Twin”"):
        call_command("import_products", "--portal", "Twin", "x.csv")


def test_export_command_writes_to_stdout_and_to_a_file_and_round_trips(portal, tmp_path):
    ProductFactory(
        portal=portal, name="Widget", sku="W-1", unit_price=1999, billing_frequency="yearly"
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("export_products", "--portal", str(portal.pk), stdout=out, stderr=err)
    assert out.getvalue().splitlines() == [HEADER, "Widget,W-1,,19.99,25.00,yearly,,false"]
    assert "Exported 1 products from Acme Test Co." in err.getvalue()

    path = tmp_path / "export.csv"
    call_command("export_products", "--portal", "Acme Test Co.", str(path), stdout=io.StringIO())
    target = PortalFactory(name="Copy")
    call_command(
        "import_products", "--portal", "Copy", str(path), stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert snapshot(target) == snapshot(portal)
