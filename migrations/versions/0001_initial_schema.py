"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 02:39:33.932784
"""

import sqlalchemy as sa
from alembic import op

import mooc_portal.db

# A copy, not an import: a migration must not change when the application's code does.
ISCED_F_2013 = {
    "00": "Generic programmes and qualifications",
    "001": "Basic programmes and qualifications",
    "0011": "Basic programmes and qualifications",
    "002": "Literacy and numeracy",
    "0021": "Literacy and numeracy",
    "003": "Personal skills and development",
    "0031": "Personal skills and development",
    "01": "Education",
    "011": "Education",
    "0111": "Education science",
    "0112": "Training for pre-school teachers",
    "0113": "Teacher training without subject specialisation",
    "0114": "Teacher training with subject specialisation",
    "02": "Arts and humanities",
    "021": "Arts",
    "0211": "Audio-visual techniques and media production",
    "0212": "Fashion, interior and industrial design",
    "0213": "Fine arts",
    "0214": "Handicrafts",
    "0215": "Music and performing arts",
    "022": "Humanities (except languages)",
    "0221": "Religion and theology",
    "0222": "History and archaeology",
    "0223": "Philosophy and ethics",
    "023": "Languages",
    "0231": "Language acquisition",
    "0232": "Literature and linguistics",
    "03": "Social sciences, journalism and information",
    "031": "Social and behavioural sciences",
    "0311": "Economics",
    "0312": "Political sciences and civics",
    "0313": "Psychology",
    "0314": "Sociology and cultural studies",
    "032": "Journalism and information",
    "0321": "Journalism and reporting",
    "0322": "Library, information and archival studies",
    "04": "Business, administration and law",
    "041": "Business and administration",
    "0411": "Accounting and taxation",
    "0412": "Finance, banking and insurance",
    "0413": "Management and administration",
    "0414": "Marketing and advertising",
    "0415": "Secretarial and office work",
    "0416": "Wholesale and retail sales",
    "0417": "Work skills",
    "042": "Law",
    "0421": "Law",
    "05": "Natural sciences, mathematics and statistics",
    "051": "Biological and related sciences",
    "0511": "Biology",
    "0512": "Biochemistry",
    "052": "Environment",
    "0521": "Environmental sciences",
    "0522": "Natural environments and wildlife",
    "053": "Physical sciences",
    "0531": "Chemistry",
    "0532": "Earth sciences",
    "0533": "Physics",
    "054": "Mathematics and statistics",
    "0541": "Mathematics",
    "0542": "Statistics",
    "06": "Information and Communication Technologies (ICTs)",
    "061": "Information and Communication Technologies (ICTs)",
    "0611": "Computer use",
    "0612": "Database and network design and administration",
    "0613": "Software and applications development and analysis",
    "07": "Engineering, manufacturing and construction",
    "071": "Engineering and engineering trades",
    "0711": "Chemical engineering and processes",
    "0712": "Environmental protection technology",
    "0713": "Electricity and energy",
    "0714": "Electronics and automation",
    "0715": "Mechanics and metal trades",
    "0716": "Motor vehicles, ships and aircraft",
    "072": "Manufacturing and processing",
    "0721": "Food processing",
    "0722": "Materials (glass, paper, plastic and wood)",
    "0723": "Textiles (clothes, footwear and leather)",
    "0724": "Mining and extraction",
    "073": "Architecture and construction",
    "0731": "Architecture and town planning",
    "0732": "Building and civil engineering",
    "08": "Agriculture, forestry, fisheries and veterinary",
    "081": "Agriculture",
    "0811": "Crop and livestock production",
    "0812": "Horticulture",
    "082": "Forestry",
    "0821": "Forestry",
    "083": "Fisheries",
    "0831": "Fisheries",
    "084": "Veterinary",
    "0841": "Veterinary",
    "09": "Health and welfare",
    "091": "Health",
    "0911": "Dental studies",
    "0912": "Medicine",
    "0913": "Nursing and midwifery",
    "0914": "Medical diagnostic and treatment technology",
    "0915": "Therapy and rehabilitation",
    "0916": "Pharmacy",
    "0917": "Traditional and complementary medicine and therapy",
    "092": "Welfare",
    "0921": "Care of the elderly and of disabled adults",
    "0922": "Child care and youth services",
    "0923": "Social work and counselling",
    "10": "Services",
    "101": "Personal services",
    "1011": "Domestic services",
    "1012": "Hair and beauty services",
    "1013": "Hotel, restaurants and catering",
    "1014": "Sports",
    "1015": "Travel, tourism and leisure",
    "102": "Hygiene and occupational health services",
    "1021": "Community sanitation",
    "1022": "Occupational health and safety",
    "103": "Security services",
    "1031": "Military and defence",
    "1032": "Protection of persons and property",
    "104": "Transport services",
    "1041": "Transport services",
}

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "mooc_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("host_user_id", sa.String(length=255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("preferred_language", sa.String(length=35), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("last_login_at", mooc_portal.db.UTCDateTime(), nullable=True),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.Column("modified_at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_mooc_account_email_lowercase")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_account")),
        sa.UniqueConstraint("email", name=op.f("uq_mooc_account_email")),
        sa.UniqueConstraint("host_user_id", name=op.f("uq_mooc_account_host_user_id")),
        sa.UniqueConstraint("uuid", name=op.f("uq_mooc_account_uuid")),
    )
    op.create_table(
        "mooc_institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("original_language", sa.String(length=35), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("logo", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.Column("modified_at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(region = 'europe' AND country IN ('AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'NO', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'CH', 'GB')) OR (region = 'asia' AND country IN ('AU', 'BD', 'BN', 'KH', 'CN', 'IN', 'ID', 'JP', 'KZ', 'KR', 'LA', 'MY', 'MN', 'MM', 'NZ', 'PK', 'PH', 'RU', 'SG', 'TH', 'VN'))",
            name=op.f("ck_mooc_institution_asem_country_region"),
        ),
        sa.CheckConstraint("slug <> ''", name=op.f("ck_mooc_institution_slug_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_institution")),
        sa.UniqueConstraint("slug", name=op.f("uq_mooc_institution_slug")),
        sa.UniqueConstraint("uuid", name=op.f("uq_mooc_institution_uuid")),
    )
    with op.batch_alter_table("mooc_institution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mooc_institution_country"), ["country"], unique=False)

    op.create_table(
        "mooc_login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_login_attempt")),
    )
    with op.batch_alter_table("mooc_login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_mooc_login_attempt_email_at", ["email", "at"], unique=False)

    op.create_table(
        "mooc_subject_area",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "length(code) BETWEEN 2 AND 4", name=op.f("ck_mooc_subject_area_code_length")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_mooc_subject_area")),
    )
    op.create_table(
        "mooc_course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("original_language", sa.String(length=35), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("pace", sa.String(length=20), nullable=False),
        sa.Column("effort_hours", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("length_weeks", sa.Integer(), nullable=True),
        sa.Column("credential", sa.String(length=20), nullable=False),
        sa.Column("ects_credits", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("image", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_at", mooc_portal.db.UTCDateTime(), nullable=True),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.Column("modified_at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(credential = 'ects' AND ects_credits IS NOT NULL AND ects_credits > 0) OR (credential <> 'ects' AND ects_credits IS NULL)",
            name=op.f("ck_mooc_course_ects_credits"),
        ),
        sa.CheckConstraint(
            "code <> '' AND slug <> ''", name=op.f("ck_mooc_course_code_slug_not_empty")
        ),
        sa.CheckConstraint(
            "credential IN ('none', 'certificate', 'ects')", name=op.f("ck_mooc_course_credential")
        ),
        sa.CheckConstraint(
            "level IN ('introductory', 'intermediate', 'advanced')",
            name=op.f("ck_mooc_course_level"),
        ),
        sa.CheckConstraint(
            "pace IN ('self_paced', 'instructor_led')", name=op.f("ck_mooc_course_pace")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'in_review', 'published', 'withdrawn')",
            name=op.f("ck_mooc_course_status"),
        ),
        sa.CheckConstraint(
            "effort_hours IS NULL OR effort_hours > 0", name=op.f("ck_mooc_course_effort_positive")
        ),
        sa.CheckConstraint(
            "length_weeks IS NULL OR length_weeks > 0", name=op.f("ck_mooc_course_length_positive")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_course_institution_id_mooc_institution"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_course")),
        sa.UniqueConstraint(
            "institution_id", "code", name=op.f("uq_mooc_course_institution_id_code")
        ),
        sa.UniqueConstraint("slug", name=op.f("uq_mooc_course_slug")),
        sa.UniqueConstraint("uuid", name=op.f("uq_mooc_course_uuid")),
    )
    with op.batch_alter_table("mooc_course", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_course_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mooc_course_status"), ["status"], unique=False)

    op.create_table(
        "mooc_institution_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "name <> ''", name=op.f("ck_mooc_institution_translation_name_not_empty")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_institution_translation_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_institution_translation")),
        sa.UniqueConstraint(
            "institution_id",
            "language",
            name=op.f("uq_mooc_institution_translation_institution_id_language"),
        ),
    )
    op.create_table(
        "mooc_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('editor', 'manager')", name=op.f("ck_mooc_membership_role")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_membership_account_id_mooc_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_membership_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_membership")),
        sa.UniqueConstraint(
            "account_id",
            "institution_id",
            name=op.f("uq_mooc_membership_account_id_institution_id"),
        ),
    )
    with op.batch_alter_table("mooc_membership", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_membership_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "mooc_course_language",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('teaching', 'subtitle')", name=op.f("ck_mooc_course_language_kind")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_course_language_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "course_id", "kind", "language", name=op.f("pk_mooc_course_language")
        ),
    )
    with op.batch_alter_table("mooc_course_language", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mooc_course_language_language", ["language", "kind"], unique=False
        )

    op.create_table(
        "mooc_course_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("start_at", mooc_portal.db.UTCDateTime(), nullable=True),
        sa.Column("end_at", mooc_portal.db.UTCDateTime(), nullable=True),
        sa.Column("enrollment_start_at", mooc_portal.db.UTCDateTime(), nullable=True),
        sa.Column("enrollment_end_at", mooc_portal.db.UTCDateTime(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("requires_approval", sa.Boolean(), nullable=False),
        sa.Column("delivery_mode", sa.String(length=10), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.Column("modified_at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "delivery_mode IN ('online', 'blended')", name=op.f("ck_mooc_course_run_delivery_mode")
        ),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 0",
            name=op.f("ck_mooc_course_run_capacity_not_negative"),
        ),
        sa.CheckConstraint(
            "end_at IS NULL OR start_at IS NULL OR end_at > start_at",
            name=op.f("ck_mooc_course_run_ends_after_start"),
        ),
        sa.CheckConstraint(
            "enrollment_end_at IS NULL OR end_at IS NULL OR enrollment_end_at <= end_at",
            name=op.f("ck_mooc_course_run_enrollment_closes_before_end"),
        ),
        sa.CheckConstraint(
            "enrollment_start_at IS NULL OR enrollment_end_at IS NULL OR enrollment_start_at < enrollment_end_at",
            name=op.f("ck_mooc_course_run_enrollment_window_order"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_course_run_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_course_run")),
        sa.UniqueConstraint("uuid", name=op.f("uq_mooc_course_run_uuid")),
    )
    with op.batch_alter_table("mooc_course_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_course_run_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "mooc_course_search",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_course_search_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_mooc_course_search")),
    )
    op.create_table(
        "mooc_course_subject",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"],
            ["mooc_subject_area.code"],
            name=op.f("fk_mooc_course_subject_code_mooc_subject_area"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_course_subject_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", "code", name=op.f("pk_mooc_course_subject")),
    )
    with op.batch_alter_table("mooc_course_subject", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mooc_course_subject_code"), ["code"], unique=False)

    op.create_table(
        "mooc_course_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("learning_outcomes", sa.Text(), nullable=True),
        sa.CheckConstraint("title <> ''", name=op.f("ck_mooc_course_translation_title_not_empty")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_course_translation_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_course_translation")),
        sa.UniqueConstraint(
            "course_id", "language", name=op.f("uq_mooc_course_translation_course_id_language")
        ),
    )
    # ### end Alembic commands ###
    seed_subject_areas()
    create_search_index()


def seed_subject_areas() -> None:
    table = sa.table(
        "mooc_subject_area", sa.column("code", sa.String), sa.column("label", sa.String)
    )
    op.bulk_insert(table, [{"code": code, "label": label} for code, label in ISCED_F_2013.items()])


def create_search_index() -> None:
    """Full-text search: an FTS5 table kept by triggers on SQLite, a GIN index on PostgreSQL."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE INDEX ix_mooc_course_search_tsv ON mooc_course_search "
            "USING gin (to_tsvector('simple', document))"
        )
    elif dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE mooc_course_fts USING fts5(document, "
            "content='mooc_course_search', content_rowid='course_id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER mooc_course_search_ai AFTER INSERT ON mooc_course_search BEGIN "
            "INSERT INTO mooc_course_fts(rowid, document) VALUES (new.course_id, new.document); END"
        )
        op.execute(
            "CREATE TRIGGER mooc_course_search_ad AFTER DELETE ON mooc_course_search BEGIN "
            "INSERT INTO mooc_course_fts(mooc_course_fts, rowid, document) "
            "VALUES ('delete', old.course_id, old.document); END"
        )
        op.execute(
            "CREATE TRIGGER mooc_course_search_au AFTER UPDATE ON mooc_course_search BEGIN "
            "INSERT INTO mooc_course_fts(mooc_course_fts, rowid, document) "
            "VALUES ('delete', old.course_id, old.document); "
            "INSERT INTO mooc_course_fts(rowid, document) VALUES (new.course_id, new.document); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS mooc_course_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS mooc_course_fts")
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("mooc_course_translation")
    with op.batch_alter_table("mooc_course_subject", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_course_subject_code"))

    op.drop_table("mooc_course_subject")
    op.drop_table("mooc_course_search")
    with op.batch_alter_table("mooc_course_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_course_run_course_id"))

    op.drop_table("mooc_course_run")
    with op.batch_alter_table("mooc_course_language", schema=None) as batch_op:
        batch_op.drop_index("ix_mooc_course_language_language")

    op.drop_table("mooc_course_language")
    with op.batch_alter_table("mooc_membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_membership_institution_id"))

    op.drop_table("mooc_membership")
    op.drop_table("mooc_institution_translation")
    with op.batch_alter_table("mooc_course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_course_status"))
        batch_op.drop_index(batch_op.f("ix_mooc_course_institution_id"))

    op.drop_table("mooc_course")
    op.drop_table("mooc_subject_area")
    with op.batch_alter_table("mooc_login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_mooc_login_attempt_email_at")

    op.drop_table("mooc_login_attempt")
    with op.batch_alter_table("mooc_institution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_institution_country"))

    op.drop_table("mooc_institution")
    op.drop_table("mooc_account")
    # ### end Alembic commands ###
