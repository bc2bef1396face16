/// Cinder 29's `volumes`, `snapshots` and `backups` tables as its migrations
/// create them (`cinder/db/models.py`): every column, with the types
/// SQLAlchemy gives them under SQLite and MySQL. The demo database is built
/// from it, and so are the tests' databases, so the collectors always meet the
/// real column names and types. Foreign keys are left out: the tests need
/// snapshots whose volume row is missing, which Cinder's own rows can show too
/// after a manual purge.
public enum CinderSchema {
    public static func workTables(_ dialect: SQLDialect) -> [String] {
        let boolean = dialect == .mysql ? "tinyint(1)" : "BOOLEAN"
        let datetime = dialect == .mysql ? "datetime" : "DATETIME"
        let integer = dialect == .mysql ? "int(11)" : "INTEGER"
        func text(_ length: Int) -> String { dialect == .mysql ? "varchar(\(length))" : "VARCHAR(\(length))" }
        let base = "created_at \(datetime), updated_at \(datetime), deleted_at \(datetime), deleted \(boolean)"
        return [
            """
            CREATE TABLE IF NOT EXISTS volumes (
                \(base), id \(text(36)) NOT NULL PRIMARY KEY, _name_id \(text(36)),
                use_quota \(boolean) NOT NULL DEFAULT 1, ec2_id \(text(255)), user_id \(text(255)),
                project_id \(text(255)), snapshot_id \(text(36)), cluster_name \(text(255)), host \(text(255)),
                size \(integer), availability_zone \(text(255)), status \(text(255)), attach_status \(text(255)),
                migration_status \(text(255)), scheduled_at \(datetime), launched_at \(datetime),
                terminated_at \(datetime), display_name \(text(255)), display_description \(text(255)),
                provider_location \(text(256)), provider_auth \(text(256)), provider_geometry \(text(255)),
                provider_id \(text(255)), volume_type_id \(text(36)) NOT NULL, source_volid \(text(36)),
                encryption_key_id \(text(36)), consistencygroup_id \(text(36)), group_id \(text(36)),
                bootable \(boolean), multiattach \(boolean), replication_status \(text(255)),
                replication_extended_status \(text(255)), replication_driver_data \(text(255)),
                previous_status \(text(255)), service_uuid \(text(36)), shared_targets \(boolean)
            )
            """,
            "CREATE INDEX \(dialect == .sqlite ? "IF NOT EXISTS " : "")volumes_deleted_host_idx ON volumes (deleted, host)",
            """
            CREATE TABLE IF NOT EXISTS snapshots (
                \(base), id \(text(36)) NOT NULL PRIMARY KEY, use_quota \(boolean) NOT NULL DEFAULT 1,
                user_id \(text(255)), project_id \(text(255)), volume_id \(text(36)) NOT NULL,
                cgsnapshot_id \(text(36)), group_snapshot_id \(text(36)), status \(text(255)),
                progress \(text(255)), volume_size \(integer), scheduled_at \(datetime),
                display_name \(text(255)), display_description \(text(255)), encryption_key_id \(text(36)),
                volume_type_id \(text(36)) NOT NULL, provider_location \(text(255)), provider_id \(text(255)),
                provider_auth \(text(255))
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS backups (
                \(base), id \(text(36)) NOT NULL PRIMARY KEY, user_id \(text(255)), project_id \(text(255)),
                volume_id \(text(36)) NOT NULL, host \(text(255)), availability_zone \(text(255)),
                display_name \(text(255)), display_description \(text(255)), container \(text(255)),
                parent_id \(text(36)), status \(text(255)), fail_reason \(text(255)),
                service_metadata \(text(255)), service \(text(255)), size \(integer), object_count \(integer),
                temp_volume_id \(text(36)), temp_snapshot_id \(text(36)), num_dependent_backups \(integer),
                snapshot_id \(text(36)), data_timestamp \(datetime), restore_volume_id \(text(36)),
                encryption_key_id \(text(36))
            )
            """,
        ]
    }
}
