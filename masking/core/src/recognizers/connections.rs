//! Connection strings: what a database or broker URL names besides its password.
//!
//! `postgres://ledger_app:…@db.internal.example.io:5432/ledger_prod` names the database's user
//! and the database (`aws_db_identifier`, as the RDS fields and flags name them) and the host
//! that serves it, one of the user's own (masked as the user's domain, see
//! [`domains`](super::domains), unless it is AWS's, which the AWS rules read, an address, or a
//! name without a dot such as a compose service's). The password is the `url_credentials`
//! rule's, which reads the same URL after this one. Defaults everyone uses (`postgres`,
//! `root`, `admin`, database `0` or `postgres`) stay.
//!
//! A database client's command line names the same three by flags (`psql -h <host> -U <user>
//! -d <database>`, `mysql -u <user> -h <host> <database>`), and they are read the same way
//! (with `redis-cli`'s password, which the password rules read). So does configuration, by the
//! keys the clients and the database images read (`PGUSER`, `POSTGRES_DB`, `MYSQL_USER`,
//! `spring.datasource.username`) and those of a Secrets Manager database secret
//! (`{"username": …, "engine": "postgres", …}`).

use super::base::{
    command_end, command_tokens, enclosing_brace, field_check_with, file_line, left_ok, table,
    table_header, table_lines, ByteTable, CheckResult, Field, Finding, Recognizer, Shape, Value,
    KEY_ANCHOR, WORD,
};
use super::{aws, domains, secrets};

const DB: &str = "aws_db_identifier";

/// Users and databases every installation has.
const DEFAULTS: &[&[u8]] = &[
    b"postgres",
    b"root",
    b"admin",
    b"sa",
    b"default",
    b"user",
    b"guest",
    b"test",
    b"mysql",
    b"template0",
    b"template1",
    b"rdsadmin",
    b"rds_superuser",
    b"cloudsqladmin",
    b"azure_superuser",
    b"master",
    b"admin_db",
    b"db",
    b"app",
];

/// The bytes of a user, a host or a database name in a URL.
fn url_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'%')
}

/// A name worth masking: some letter, not a default, not a token (a token in the user part is
/// the `url_credentials` rule's).
fn private(name: &[u8]) -> bool {
    let token = name.len() >= 20 && name.iter().any(u8::is_ascii_digit);
    name.len() >= 3
        && name.iter().any(u8::is_ascii_alphabetic)
        && !token
        && !DEFAULTS.iter().any(|d| d.eq_ignore_ascii_case(name))
}

/// The candidate is the scheme and `://`: the user, the host and the database after it.
fn check_db_url(data: &[u8], s: usize, e: usize) -> CheckResult {
    if s > 0 && (data[s - 1].is_ascii_alphanumeric() || data[s - 1] == b'+') {
        return None;
    }
    let lim = data.len().min(e + 512);
    let auth_end = e + data[e..lim]
        .iter()
        .take_while(|&&c| !matches!(c, b'/' | b'?' | b'#' | b'"' | b'\'' | b' ' | b'\\' | b'\n'))
        .count();
    let mut out = Vec::new();
    let mut host_at = e;
    if let Some(at) = memchr::memrchr(b'@', &data[e..auth_end]) {
        let at = e + at;
        let user_end = e + data[e..at].iter().take_while(|&&c| c != b':').count();
        if data[e..user_end].iter().all(|&c| url_char(c)) && private(&data[e..user_end]) {
            out.push(Finding::new(e, user_end, DB, Shape::Classwise));
        }
        host_at = at + 1;
    }
    // hosts: `h1:port,h2:port` (a replica set) or one
    let mut i = host_at;
    while i < auth_end {
        let he = i + data[i..auth_end]
            .iter()
            .take_while(|&&c| url_char(c))
            .count();
        out.extend(host_findings(data, i, he));
        let next = he
            + data[he..auth_end]
                .iter()
                .take_while(|&&c| c != b',')
                .count();
        i = next + 1;
    }
    // the database: the path's one segment
    if data.get(auth_end) == Some(&b'/') {
        let ds = auth_end + 1;
        let de = ds
            + data[ds..lim]
                .iter()
                .take_while(|&&c| url_char(c) && c != b'.')
                .count();
        if de > ds && private(&data[ds..de]) && !data[ds..de].iter().all(u8::is_ascii_digit) {
            out.push(Finding::new(ds, de, DB, Shape::Classwise));
        }
    }
    // the URL is not claimed: its password is read by the URL credentials rule
    Some((out, s + 1))
}

/// A host a connection string or a client's flag names: one of the user's DNS names (a bare
/// name such as a compose service's, an address, `localhost` and AWS's hosts are other rules'
/// or no one's).
fn host_findings(data: &[u8], s: usize, e: usize) -> Vec<Finding> {
    let host = &data[s..e];
    if !host.contains(&b'.')
        || aws::is_aws_host(host)
        || host.iter().all(|c| c.is_ascii_digit() || *c == b'.')
    {
        return Vec::new();
    }
    domains::own_host(s, host)
}

/// What a database client's flag names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Names {
    Host,
    User,
    Database,
    /// another flag's value (`-c 'select 1'`, `-p 5432`): not a positional argument
    Other,
}

/// The database clients, whose short flags mean different things (`-p` is a port to `psql`, a
/// password glued to it to `mysql`; `-u` a user to `mysql`, a URI to `redis-cli`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Client {
    Postgres,
    Mysql,
    Mongo,
    Redis,
    Clickhouse,
}

impl Client {
    fn of(name: &[u8]) -> Client {
        match name[0] {
            b'c' if name.starts_with(b"clickhouse") => Client::Clickhouse,
            b'p' | b'c' | b'd' => Client::Postgres,
            b'm' if name.starts_with(b"mongo") => Client::Mongo,
            b'm' => Client::Mysql,
            b'r' => Client::Redis,
            _ => Client::Clickhouse,
        }
    }

    /// What the value of `flag` (a flag that takes one) names, by the client's manual.
    fn flag(self, flag: &[u8]) -> Option<Names> {
        use Names::*;
        let long = match flag {
            b"--host" | b"--hostname" => Some(Host),
            b"--username" | b"--user" => Some(User),
            b"--dbname" | b"--database" | b"--db" => Some(Database),
            b"--command"
            | b"--execute"
            | b"--file"
            | b"--port"
            | b"--socket"
            | b"--set"
            | b"--variable"
            | b"--output"
            | b"--out"
            | b"--eval"
            | b"--query"
            | b"--uri"
            | b"--collection"
            | b"--authenticationDatabase"
            | b"--pass" => Some(Other),
            // `mysql --password` alone asks for it; its value is glued (`--password=…`)
            b"--password" if self != Client::Mysql => Some(Other),
            _ => None,
        };
        if long.is_some() {
            return long;
        }
        Some(match (self, flag) {
            (_, b"-h") => Host,
            (Client::Postgres, b"-U") => User,
            (Client::Postgres, b"-d") => Database,
            (Client::Postgres, b"-c" | b"-f" | b"-L" | b"-o" | b"-p" | b"-P" | b"-R" | b"-T")
            | (Client::Postgres, b"-v" | b"-F") => Other,
            (Client::Mysql, b"-u") => User,
            (Client::Mysql, b"-D") => Database,
            (Client::Mysql, b"-e" | b"-P" | b"-S") => Other,
            (Client::Mongo, b"-u") => User,
            (Client::Mongo, b"-d") => Database,
            (Client::Mongo, b"-p" | b"-c" | b"-o" | b"-q") => Other,
            (Client::Redis, b"-p" | b"-a" | b"-n" | b"-u" | b"-s") => Other,
            (Client::Clickhouse, b"-u") => User,
            (Client::Clickhouse, b"-d") => Database,
            (Client::Clickhouse, b"-q") => Other,
            _ => return None,
        })
    }
}

/// Bytes of a database's, a user's or a host's name on a command line.
const ARG: ByteTable = table(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

/// Bytes a client's name must not be glued to on its left.
const GLUE: ByteTable = table(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

/// The candidate is a database client's name and a blank: the host, user and database its
/// flags name, and the database its last argument names (`psql … ledger`, `mysql … reports`).
fn check_db_client(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !left_ok(data, s, &GLUE) {
        return None;
    }
    let client = Client::of(&data[s..e]);
    let end = command_end(data, e);
    let mut out = Vec::new();
    if client == Client::Redis {
        out.extend(
            secrets::check_redis_cli(data, s, e)
                .map(|(fs, _)| fs)
                .unwrap_or_default(),
        );
    }
    let mut pending: Option<Names> = None;
    // the last positional argument so far
    let mut last: Option<(usize, usize)> = None;
    for (ts, i) in command_tokens(data, e, end) {
        let tok = &data[ts..i];
        let (value, names) = if let Some(names) = pending.take() {
            (Some(ts), names)
        } else if tok.starts_with(b"--") {
            let eq = memchr::memchr(b'=', tok);
            let flag = &tok[..eq.unwrap_or(tok.len())];
            match (client.flag(flag), eq) {
                (Some(names), Some(q)) => (Some(ts + q + 1), names),
                (Some(names), None) => {
                    pending = Some(names);
                    continue;
                }
                (None, _) => continue,
            }
        } else if tok.len() >= 2 && tok[0] == b'-' {
            match client.flag(&tok[..2]) {
                // `-hdb.example.io`, `-uapp`: a short flag glued to its value
                Some(names) if tok.len() > 2 => (Some(ts + 2), names),
                Some(names) => {
                    pending = Some(names);
                    continue;
                }
                None => continue,
            }
        } else {
            last = Some((ts, i));
            continue;
        };
        last = None;
        let Some(vs) = value else { continue };
        let ve = vs + data[vs..i].iter().take_while(|&&c| ARG[c as usize]).count();
        if ve < i || ve == vs {
            continue; // a quoted, escaped or URL value: other rules read it
        }
        match names {
            Names::Host => out.extend(host_findings(data, vs, ve)),
            Names::User | Names::Database if private(&data[vs..ve]) => {
                out.push(Finding::new(vs, ve, DB, Shape::Classwise));
            }
            _ => {}
        }
    }
    // the last argument, when no flag took it: the database (psql's, mysql's, pg_dump's)
    if let Some((vs, ve)) = last {
        let name = &data[vs..ve];
        if matches!(client, Client::Postgres | Client::Mysql)
            && name.iter().all(|&c| ARG[c as usize])
            && !name.contains(&b'.')
            && private(name)
        {
            out.push(Finding::new(vs, ve, DB, Shape::Classwise));
        }
    }
    Some((out, e))
}

/// Key endings (normal form) that name a database's user or a database: the variables the
/// clients read (`PGUSER`, `PGDATABASE`), those the official images read (`POSTGRES_USER`,
/// `MYSQL_DATABASE`, `MONGO_INITDB_ROOT_USERNAME`), and the usual application settings
/// (`DB_USER`, `DATABASE_NAME`, `spring.datasource.username`).
#[rustfmt::skip]
const DB_KEY_ENDINGS: &[&str] = &[
    "pguser", "pgdatabase", "postgresuser", "postgresdb", "postgresqluser", "postgresdatabase",
    "mysqluser", "mysqldatabase", "mariadbuser", "mariadbdatabase", "mongoinitdbrootusername",
    "mongoinitdbdatabase", "dbuser", "dbusername", "dbname", "databaseuser", "databaseusername",
    "databasename", "datasourceusername",
];

/// How far into a Secrets Manager secret's object its `engine` key may lie.
const SECRET_REACH: usize = 512;

/// A database's user or name after one of [`DB_KEY_ENDINGS`]: a name (no template, no
/// variable), not one every installation has, and not a plain word (`orders`, as a compose
/// file's example names its database, says little); `ledger_app`, `orders-rw`, `shop2` are
/// masked.
fn v_db_name(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    let name = &data[v.start..v.end];
    let plain = name
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    let word = name.iter().all(u8::is_ascii_alphabetic);
    Some(if plain && !word && private(name) {
        vec![Finding::new(v.start, v.end, DB, Shape::Classwise)]
    } else {
        Vec::new()
    })
}

/// `username` in a Secrets Manager database secret (`{"username": …, "password": …, "engine":
/// "postgres", "host": …}`, as `get-secret-value` prints its `SecretString`): the object names
/// its engine. Elsewhere a `username` is anyone's.
fn v_secret_user(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    let open = enclosing_brace(data, v.start, SECRET_REACH)?;
    let window = &data[open..data.len().min(open + SECRET_REACH)];
    memchr::memmem::find(window, b"engine\\\"")
        .or_else(|| memchr::memmem::find(window, b"engine\""))?;
    v_db_name(data, v, rtype)
}

fn db_field(key: &str) -> Option<Field> {
    let validate = if key == "username" {
        v_secret_user
    } else if DB_KEY_ENDINGS.iter().any(|k| key.ends_with(k)) {
        v_db_name
    } else {
        return None;
    };
    Some(Field {
        rtype: DB,
        shape: Shape::Classwise,
        validate,
        line: false,
    })
}

/// The columns of psql's `\l` (`List of databases`) and `\du` (`List of roles`) that name a
/// database or a user.
const LIST_COLUMNS: &[&[u8]] = &[b"Name", b"Owner", b"Role name"];

/// A listing psql prints under its title (`\l`'s `List of databases`, `\du`'s `List of
/// roles`): the databases and their owners, the roles, read from the columns under the header
/// the title tops, cell by cell between `|`s, as [`v_db_name`] judges a name (`template0`,
/// `postgres` and plain words stay). A row continued on the next line (a long privilege list)
/// has empty cells there; the listing ends at its `(N rows)` line or a line that is no row.
fn check_psql_list(data: &[u8], _s: usize, e: usize) -> CheckResult {
    // the title alone on its line, not a phrase of prose
    let (te, header, json) = table_header(data, e)?;
    if !data[e..te].iter().all(|&c| c == b' ' || c == b'\r') {
        return None;
    }
    let (hs, he, i) = file_line(data, header, json)?;
    let columns: Vec<bool> = data[hs..he]
        .split(|&c| c == b'|')
        .map(|h| LIST_COLUMNS.contains(&h.trim_ascii()))
        .collect();
    if !columns.iter().any(|&c| c) {
        return None;
    }
    let (rs, re, rows) = file_line(data, i, json)?;
    if !data[rs..re].starts_with(b"--") {
        return None;
    }
    let mut out = Vec::new();
    for (rs, re) in table_lines(data, rows, json) {
        if memchr::memchr(b'|', &data[rs..re]).is_none() {
            break;
        }
        let mut cs = rs;
        for (cell, &named) in data[rs..re].split(|&c| c == b'|').zip(&columns) {
            let lead = cell.iter().take_while(|&&c| c == b' ').count();
            let name = cell.trim_ascii();
            if named && !name.is_empty() {
                let v = Value::bare(cs + lead, cs + lead + name.len());
                out.extend(v_db_name(data, &v, DB).unwrap_or_default());
            }
            cs += cell.len() + 1;
        }
    }
    Some((out, e))
}

pub fn recognizers() -> Vec<Recognizer> {
    vec![
        Recognizer::new(
            "connections.db_url",
            concat!(
                r"(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|sqlserver",
                r"|cockroachdb)://"
            ),
            check_db_url,
            &[DB, aws::HOSTNAME],
        ),
        Recognizer::new(
            "connections.db_client",
            concat!(
                r"(?:psql|pg_dump|pg_dumpall|pg_restore|pg_isready|createdb|dropdb|mysql|mysqldump",
                r"|mysqladmin|mariadb|mariadb-dump|mongosh|mongodump|mongorestore|redis-cli",
                r"|clickhouse-client)[ \t]"
            ),
            check_db_client,
            &[DB, aws::HOSTNAME, "password"],
        ),
        Recognizer::new(
            "connections.psql_list",
            r"List of (?:databases|roles)",
            check_psql_list,
            &[DB],
        ),
        Recognizer::with_check(
            "connections.db_fields",
            format!("(?:(?i:user(?:name)?|database|db[_-]?name)|DB|db|Db){KEY_ANCHOR}"),
            field_check_with(db_field, false, true, WORD),
            &[DB],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use crate::recognizers::builtin;
    use crate::scanner::{Filter, Scanner};
    use crate::testutil::found_in;

    static SCANNER: LazyLock<Scanner> =
        LazyLock::new(|| Scanner::new(builtin(), Filter::default()).expect("patterns compile"));

    /// The values of type `rtype` the built-in rules find in `text`.
    fn of(rtype: &str, text: &str) -> Vec<String> {
        found_in(&SCANNER, text)
            .into_iter()
            .filter(|(t, _)| *t == rtype)
            .map(|(_, v)| v)
            .collect()
    }

    #[test]
    fn a_database_clients_flags_name_its_user_database_and_host() {
        let line = "psql -h ledger-db.corp.tallyco.internal -U ledger_admin -d ledger_prod -c 'x'";
        assert_eq!(
            of("aws_db_identifier", line),
            ["ledger_admin", "ledger_prod"]
        );
        assert_eq!(
            of("aws_hostname", line),
            ["ledger-db.corp", "tallyco.internal"]
        );
        let line = "mysql -u report_ro -pR3portPass! -hreports.db.tallyco.lan reports\n";
        assert_eq!(of("aws_db_identifier", line), ["report_ro", "reports"]);
        assert_eq!(of("aws_hostname", line), ["reports.db", "tallyco.lan"]);
        assert_eq!(of("password", line), ["R3portPass!"]);
        let line = r#"{"command": "pg_dump -Fc -U postgres -h 10.0.0.5 billing_main > b.dump"}"#;
        assert_eq!(of("aws_db_identifier", line), ["billing_main"]);
        let line =
            "mongosh --host=mongo-0.tallyco.net --username svc_reports --authenticationDatabase x";
        assert_eq!(of("aws_db_identifier", line), ["svc_reports"]);
        assert_eq!(of("aws_hostname", line), ["mongo-0", "tallyco.net"]);
        let line =
            "clickhouse-client --host ch.tallyco.net --user analyst_ro --database events_prod -q x";
        assert_eq!(of("aws_db_identifier", line), ["analyst_ro", "events_prod"]);
    }

    #[test]
    fn redis_clis_password_and_host_are_read_together() {
        let line = "redis-cli -h cache-01.tallyco.local -p 6379 -a Tq7nUq0yn1KnObN#2 ping";
        assert_eq!(of("password", line), ["Tq7nUq0yn1KnObN#2"]);
        assert_eq!(of("aws_hostname", line), ["cache-01", "tallyco.local"]);
        assert_eq!(
            of("password", "redis-cli -a password ping"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn defaults_flag_values_and_other_commands_stay() {
        for line in [
            "psql postgres",
            "psql -h localhost -U postgres -d postgres",
            "mysql -u root -p mysql",
            "psql -h db -U app -p 5432 -c 'select 1'",
            "redis-cli -n 3 -p 6380 ping",
            "mysql --help",
            "pip install psql-tools mysql-connector",
            "mypsql -U ledger_admin",
            "psql -X -A -t -e -f migrate.sql",
        ] {
            let fs = found_in(&SCANNER, line);
            assert!(
                fs.iter()
                    .all(|(t, _)| !["aws_db_identifier", "aws_hostname"].contains(t))
                    || line.contains("://"),
                "{line}: {fs:?}"
            );
        }
        // a URL given to `-d` is the URL rule's, read once
        let line = "psql -d postgres://ledger_app@db.tallyco.io/ledger_prod";
        assert_eq!(of("aws_db_identifier", line), ["ledger_app", "ledger_prod"]);
        // a flag's value is not the database (`-f`'s file, `-c`'s command)
        assert_eq!(
            of("aws_db_identifier", "psql -f seed_tenants ledger_main"),
            ["ledger_main"]
        );
    }
}
