"""Numbered schema migrations of the workspace database; never edit a shipped one, add the next."""

MIGRATIONS = [
    (
        1,
        """
        CREATE TABLE datasets (
            dataset_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            content_hash VARCHAR NOT NULL UNIQUE,
            source_filename VARCHAR,
            format VARCHAR NOT NULL,
            encoding VARCHAR,
            delimiter VARCHAR,
            sheet VARCHAR,
            rows BIGINT NOT NULL,
            table_name VARCHAR NOT NULL,
            profile JSON NOT NULL,
            created_by VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE dataset_columns (
            dataset_id VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            type VARCHAR NOT NULL,
            storage_type VARCHAR NOT NULL,
            PRIMARY KEY (dataset_id, position)
        );
        CREATE TABLE user_settings (
            user_name VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            value VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (user_name, key)
        );
        CREATE TABLE workspace_meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL
        );
        """,
    ),
    (
        2,
        """
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            dataset_id VARCHAR NOT NULL,
            dataset_hash VARCHAR NOT NULL,
            dataset_name VARCHAR,
            target VARCHAR NOT NULL,
            problem_type VARCHAR NOT NULL,
            eval_metric VARCHAR NOT NULL,
            goal VARCHAR,
            quality VARCHAR NOT NULL,
            time_limit DOUBLE NOT NULL,
            seed INTEGER NOT NULL,
            status VARCHAR NOT NULL,
            error VARCHAR,
            spec JSON NOT NULL,
            plan JSON NOT NULL,
            environment JSON NOT NULL,
            executor_handle JSON,
            run_dir VARCHAR NOT NULL,
            parent_run_id VARCHAR,
            current_model VARCHAR,
            chosen_model VARCHAR,
            holdout_metrics JSON,
            details JSON,
            events_offset BIGINT NOT NULL DEFAULT 0,
            created_by VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            started_at DOUBLE,
            first_model_at DOUBLE,
            ended_at DOUBLE
        );
        CREATE TABLE run_models (
            run_id VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            score_val DOUBLE,
            score_test DOUBLE,
            fit_time DOUBLE,
            predict_time DOUBLE,
            stack_level INTEGER,
            recorded_at DOUBLE,
            PRIMARY KEY (run_id, model)
        );
        """,
    ),
    (
        3,
        """
        CREATE TABLE run_choices (
            run_id VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            threshold DOUBLE,
            reason VARCHAR,
            chosen_by VARCHAR,
            chosen_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        ALTER TABLE run_models ADD COLUMN refit_model VARCHAR;
        """,
    ),
    (
        4,
        """
        ALTER TABLE run_models ADD COLUMN predict_ms_per_1000 DOUBLE;
        ALTER TABLE run_models ADD COLUMN disk_mb DOUBLE;
        """,
    ),
    (
        5,
        """
        CREATE TABLE glossary_overrides (
            term_id VARCHAR NOT NULL,
            lang VARCHAR NOT NULL,
            field VARCHAR NOT NULL,
            text VARCHAR NOT NULL,
            edited_by VARCHAR,
            edited_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (term_id, lang, field)
        );
        """,
    ),
    (
        6,
        """
        CREATE SEQUENCE run_comment_ids;
        CREATE TABLE run_comments (
            comment_id BIGINT PRIMARY KEY DEFAULT nextval('run_comment_ids'),
            run_id VARCHAR NOT NULL,
            author VARCHAR NOT NULL,
            body VARCHAR,
            decision VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        ALTER TABLE runs ADD COLUMN decision VARCHAR DEFAULT 'draft';
        """,
    ),
    (
        7,
        """
        -- 'chosen_model' now means the model in use everywhere; AutoGluon's own pick has its own name.
        ALTER TABLE runs RENAME COLUMN chosen_model TO autogluon_best;
        -- Run folders are stored relative to the workspace, so a run can execute on another machine.
        UPDATE runs SET run_dir = 'runs/' || run_id WHERE run_dir LIKE '/%';
        """,
    ),
    (
        8,
        """
        -- AutoGluon's decision threshold per model (tuned on validation or out-of-fold predictions).
        ALTER TABLE run_models ADD COLUMN decision_threshold DOUBLE;
        -- Too good to be true: set once the worker has assessed the run (NULL until then).
        ALTER TABLE runs ADD COLUMN suspect BOOLEAN;
        ALTER TABLE runs ADD COLUMN suspect_reasons JSON;
        ALTER TABLE runs ADD COLUMN name VARCHAR;
        ALTER TABLE run_comments ADD COLUMN override_reason VARCHAR;
        -- Names people use: business names of a column's values, and short column descriptions.
        CREATE TABLE dataset_value_names (
            dataset_id VARCHAR NOT NULL,
            column_name VARCHAR NOT NULL,
            value VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            set_by VARCHAR,
            set_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (dataset_id, column_name, value)
        );
        CREATE TABLE dataset_column_descriptions (
            dataset_id VARCHAR NOT NULL,
            column_name VARCHAR NOT NULL,
            description VARCHAR NOT NULL,
            set_by VARCHAR,
            set_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (dataset_id, column_name)
        );
        """,
    ),
    (
        10,
        """
        -- Fairness analyses of a run (Fairlearn group metrics with intervals), with their settings.
        CREATE TABLE fairness_analyses (
            analysis_id VARCHAR PRIMARY KEY,
            run_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL DEFAULT 'groups',  -- 'groups' (metrics per group) or 'mitigation'

            settings JSON NOT NULL,
            result JSON NOT NULL,
            created_by VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        """,
    ),
    (
        11,
        """
        -- Fairer decision rules adopted for scoring (a row with no analysis_id withdraws the rule).
        CREATE SEQUENCE adopted_rules_seq;
        CREATE TABLE adopted_rules (
            seq BIGINT PRIMARY KEY DEFAULT nextval('adopted_rules_seq'),
            run_id VARCHAR NOT NULL,
            analysis_id VARCHAR,
            reason VARCHAR NOT NULL,
            decided_by VARCHAR,
            decided_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        """,
    ),
    (
        12,
        """
        -- A person's text for a section of a run's model card, per language, as numbered versions.
        -- text NULL means "back to the generated text"; `generated` is what the section said then.
        CREATE TABLE report_edits (
            run_id VARCHAR NOT NULL,
            section VARCHAR NOT NULL,
            lang VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            text VARCHAR,
            generated VARCHAR NOT NULL,
            edited_by VARCHAR,
            edited_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (run_id, section, lang, version)
        );
        """,
    ),
    (
        13,
        """
        -- A re-run starts an identical run; lineage keeps which run it repeats.
        ALTER TABLE runs ADD COLUMN rerun_of VARCHAR;
        """,
    ),
    (
        14,
        """
        -- Every scored batch: who, when, which file (name and hash), how many rows, the rule that
        -- decided, and its drift against the training rows (per column, with verdicts).
        CREATE TABLE scoring_batches (
            batch_id VARCHAR PRIMARY KEY,
            run_id VARCHAR NOT NULL,
            input_name VARCHAR,
            input_hash VARCHAR,
            rows BIGINT NOT NULL,
            output VARCHAR,
            decision_rule JSON,
            drift JSON NOT NULL,
            scored_by VARCHAR,
            scored_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        """,
    ),
    (
        15,
        """
        -- True outcomes that arrived for a scored batch's rows (matched by an id column): how the
        -- model did on them, and how its treatment of groups moved. The latest row per batch counts.
        CREATE TABLE batch_outcomes (
            batch_id VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,
            source_name VARCHAR,
            rows_matched BIGINT NOT NULL,
            metrics JSON NOT NULL,
            fairness JSON NOT NULL,
            added_by VARCHAR,
            added_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        """,
    ),
    (
        16,
        """
        -- Who may do what (core.governance.roles), and every action that changed data or was refused.
        CREATE TABLE user_roles (
            user_name VARCHAR PRIMARY KEY,
            role VARCHAR NOT NULL,
            set_by VARCHAR,
            set_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE SEQUENCE audit_seq;
        CREATE TABLE audit_log (
            seq BIGINT NOT NULL DEFAULT nextval('audit_seq'),
            acted_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            user_name VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            object VARCHAR,
            outcome VARCHAR NOT NULL,
            detail VARCHAR
        );
        """,
    ),
    (
        17,
        """
        -- A prepared data set's recipe: the data sets it was made from (id, name, content hash), the
        -- steps as applied (with the figures they measured), the SQL that made it, and the SQL that
        -- replays its every-row steps on raw rows at scoring (NULL: it cannot replay).
        CREATE TABLE dataset_recipes (
            dataset_id VARCHAR PRIMARY KEY,
            sources JSON NOT NULL,
            recipe JSON NOT NULL,
            sql VARCHAR NOT NULL,
            replay_sql VARCHAR,
            created_by VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        """,
    ),
    (
        18,
        """
        -- Settings an admin stored for this workspace (where runs train); they win over the environment.
        CREATE TABLE workspace_settings (
            name VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL,
            set_by VARCHAR,
            set_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        """,
    ),
]
