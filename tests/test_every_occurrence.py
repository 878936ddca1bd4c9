"""DESIGN invariant 1: a value recognized once is masked at every occurrence in the body —
before and after the place whose context gave it away, and bare — and it stays known, so a
later request through the same engine masks it with no context at all. A value that could be
an ordinary word is not carried over to its other occurrences."""

from __future__ import annotations

import json
import random
import string

from engine_strategies import KEY_A, mask, unmask

from masking.engine import Engine

R = random.Random(1212)


def account() -> str:
    return str(R.randint(1, 9)) + "".join(R.choice(string.digits) for _ in range(11))


def surrogate_of(pairs: list[tuple[bytes, bytes]], original: str) -> str:
    (sur,) = [s for s, o in pairs if o == original.encode()]
    return sur.decode()


def test_an_account_is_masked_bare_before_and_after_its_context() -> None:
    a = account()
    text = f"Check {a} first.\nAccount: {a}\nThen {a} again, and ({a})."
    out, masker = mask(text.encode())
    assert a.encode() not in out
    sur = surrogate_of(masker.pairs, a)
    assert out.decode() == text.replace(a, sur)  # one surrogate, every occurrence
    assert masker.counts == {"aws_account_id": 4}
    assert unmask(masker, out) == text.encode()


def test_without_its_context_a_bare_account_is_left_alone() -> None:
    # the control for the test above: the bare occurrences alone are not recognized
    a = account()
    text = f"Check {a} first.\nThen {a} again, and ({a})."
    out, masker = mask(text.encode())
    assert out == text.encode() and masker.counts == {}


def test_a_bucket_named_by_a_flag_is_masked_earlier_in_prose() -> None:
    bucket = "ledger-exports-" + "".join(R.choice(string.digits) for _ in range(4))
    text = (
        f"The nightly dump goes to {bucket} since May; {bucket} keeps 30 days.\n"
        f"$ aws s3api get-bucket-policy --bucket {bucket}\n"
    )
    out, masker = mask(text.encode())
    assert bucket.encode() not in out
    assert masker.counts == {"aws_s3_bucket": 3}
    assert out.decode() == text.replace(bucket, surrogate_of(masker.pairs, bucket))


def test_a_secret_key_pasted_again_in_prose_is_masked() -> None:
    secret = "".join(R.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))
    text = (
        f"I pasted {secret} in the chat by mistake.\n[default]\naws_secret_access_key = {secret}\n"
    )
    out, masker = mask(text.encode())
    assert secret.encode() not in out
    assert masker.counts == {"aws_secret_access_key": 2}


def test_an_account_echoed_bare_in_a_messages_request_is_masked_everywhere() -> None:
    a = account()
    body = json.dumps(
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": f"Which roles exist in account {a}?"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": f"Listing the roles of {a}."},
                        {
                            "type": "tool_use",
                            "id": "toolu_01",
                            "name": "Bash",
                            "input": {"command": f"aws iam list-roles | grep {a}"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_01", "content": f"{a}\n"}
                    ],
                },
            ],
        }
    ).encode()
    out, masker = mask(body, kind="messages")
    assert a.encode() not in out
    assert out.count(surrogate_of(masker.pairs, a).encode()) == 4


def test_a_secret_a_command_printed_is_masked_where_the_agent_uses_it_next() -> None:
    # The agent reads a password with one tool call (its result holds the value bare, with
    # nothing around it) and uses it in the next: masked in both, and in a later request.
    engine = Engine(KEY_A)
    secret = "".join(R.choice(string.ascii_letters) for _ in range(6)) + str(R.randint(10, 99))
    read = "kubectl get secret ledger-db -o jsonpath='{.data.password}' | base64 -d"
    use = f"echo -n {secret} | wc -c"  # no context of its own

    def call(n: int, command: str) -> dict[str, object]:
        return {
            "type": "tool_use",
            "id": f"toolu_0{n}",
            "name": "Bash",
            "input": {"command": command},
        }

    def result(n: int, content: str) -> dict[str, object]:
        return {"type": "tool_result", "tool_use_id": f"toolu_0{n}", "content": content}

    body = json.dumps(
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": "Why does the ledger app fail to connect?"},
                {"role": "assistant", "content": [call(1, "ls"), call(2, read)]},
                {"role": "user", "content": [result(1, "Makefile\nsrc"), result(2, secret)]},
                {"role": "assistant", "content": [call(3, use)]},
            ],
        }
    ).encode()
    out, masker = mask(body, kind="messages", engine=engine)
    assert secret.encode() not in out
    assert out.count(surrogate_of(masker.pairs, secret).encode()) == 2
    assert b"Makefile" in out  # another call's result is no secret
    later, _ = mask(f"retry with {secret} please".encode(), engine=engine)
    assert secret.encode() not in later


def test_a_value_from_an_earlier_request_is_masked_in_a_later_one() -> None:
    engine = Engine(KEY_A)
    a = account()
    bucket = "media-green-" + "".join(R.choice(string.digits) for _ in range(3))
    first, first_masker = mask(
        f'{{"Account": "{a}"}}\naws s3 ls s3://{bucket}/\n'.encode(), engine=engine
    )
    assert a.encode() not in first and bucket.encode() not in first
    later = f"so {a} owns {bucket}, right?".encode()
    assert Engine(KEY_A).scan(later) == []  # no context here: only memory can find them
    out, masker = mask(later, engine=engine)
    assert a.encode() not in out and bucket.encode() not in out
    # the same surrogates as before (the conversation masks to the same bytes), and this
    # exchange's map restores them
    for value in (a, bucket):
        assert surrogate_of(masker.pairs, value) == surrogate_of(first_masker.pairs, value)
    assert unmask(masker, out) == later


def test_a_known_value_is_masked_in_a_later_json_request_too() -> None:
    engine = Engine(KEY_A)
    a = account()
    mask(f"account {a}".encode(), engine=engine)
    body = json.dumps({"messages": [{"role": "user", "content": f"{a}\n{a}"}]}).encode()
    out, _ = mask(body, kind="messages", engine=engine)
    assert a.encode() not in out
    assert json.loads(out)["messages"][0]["content"].count("\n") == 1


def test_an_ordinary_word_named_by_a_flag_is_not_carried_over() -> None:
    text = (
        "aws lambda invoke --function-name migrations out.json\n"
        "Run the migrations before the deploy.\n"
    )
    out, masker = mask(text.encode())
    # masked where the flag names it ...
    assert masker.counts == {"aws_resource_name": 1}
    assert b"--function-name migrations " not in out
    # ... and left alone in prose, in this body and in later ones
    assert out.endswith(b"Run the migrations before the deploy.\n")
    engine = Engine(KEY_A)
    mask(text.encode(), engine=engine)
    later = b"Run the migrations, then the migrations of the cache."
    assert mask(later, engine=engine)[0] == later


def test_the_word_after_a_resource_word_in_prose_is_not_a_name() -> None:
    # issue 12: "Run the database migrations" went out as "Run the database jxyktspfqu"
    for text in (
        b"Run the database migrations before the deploy.",
        b"aws lambda invoke --function-name migrations out.json\nRun the database migrations.",
    ):
        out, _ = mask(text)
        assert out.endswith(b"Run the database migrations before the deploy.") or out.endswith(
            b"Run the database migrations."
        ), out


def test_a_name_with_a_digit_found_by_a_phrase_is_masked_everywhere() -> None:
    table = "orders-ledger-v" + "".join(R.choice(string.digits) for _ in range(2))
    text = (
        f"| Resource | Value |\n|---|---|\n| Table | {table} |\n\n"
        f"The DynamoDB table {table} is in on-demand mode; {table} holds the orders.\n"
    )
    out, masker = mask(text.encode())
    assert table.encode() not in out
    assert out.decode() == text.replace(table, surrogate_of(masker.pairs, table))
    # the control: a name without a digit, found by the same phrase, stays where it was found
    # (it could be a word: "per user site-packages")
    word = "orders-ledger"
    out, masker = mask(text.replace(table, word).encode())
    assert out.count(word.encode()) == 2


def test_a_longer_number_holding_a_known_account_is_not_masked() -> None:
    a = account()
    text = f"Account: {a}\nbuild 9{a}7 done"
    out, masker = mask(text.encode())
    assert masker.counts == {"aws_account_id": 1}
    assert out.endswith(f"build 9{a}7 done".encode())


def test_a_secret_named_in_its_arn_is_masked_where_its_name_recurs_bare() -> None:
    # A Secrets Manager ARN ends with the secret's name, `-` and six random characters; the
    # name alone is what the same listing's `Name` field and a later `--secret-id` carry.
    name = "prod/ledger-" + "".join(R.choice(string.ascii_lowercase) for _ in range(5)) + "/db"
    arn = f"arn:aws:secretsmanager:us-east-1:{account()}:secret:{name}-Ab12Cd"
    listing = json.dumps({"SecretList": [{"ARN": arn, "Name": name}]})
    text = f"{listing}\n$ aws secretsmanager get-secret-value --secret-id {name}\n"
    out, masker = mask(text.encode())
    assert name.encode() not in out
    sur = surrogate_of(masker.pairs, name)
    assert out.decode().count(sur) == 3
    assert b"-Ab12Cd" in out
    assert unmask(masker, out) == text.encode()


def test_a_domain_a_certificate_names_is_masked_in_later_hosts_and_urls() -> None:
    # ACM only issues a certificate for a domain its holder proved: the registrable domain is
    # the user's wherever it recurs, under any host name or in a URL.
    engine = Engine(KEY_A)
    domain = "".join(R.choice(string.ascii_lowercase) for _ in range(9)) + ".io"
    summary = {"DomainName": f"api.{domain}", "SubjectAlternativeNameSummaries": [f"*.{domain}"]}
    listing = json.dumps({"CertificateSummaryList": [summary]})
    first, first_masker = mask(listing.encode(), engine=engine)
    assert domain.encode() not in first
    later = f"See https://status.{domain}/health and grafana.internal.{domain} first"
    assert Engine(KEY_A).scan(later.encode()) == []  # nothing here says the domain is the user's
    out, masker = mask(later.encode(), engine=engine)
    assert domain.encode() not in out
    sur = surrogate_of(first_masker.pairs, domain)
    assert out.decode().count(sur) == 2  # one surrogate: the model still reads one domain
    assert unmask(masker, out) == later.encode()


def test_the_labels_of_a_host_under_a_known_domain_are_masked_with_it() -> None:
    # `grafana.internal.<domain>` names the user's services as much as the domain names them
    engine = Engine(KEY_A)
    domain = "".join(R.choice(string.ascii_lowercase) for _ in range(9)) + ".io"
    listing = json.dumps({"CertificateSummaryList": [{"DomainName": f"ledger.{domain}"}]})
    mask(listing.encode(), engine=engine)
    hosts = f"10.1.2.3 vault-01.internal.{domain} vault\nSee https://api.{domain}/v1 too\n"
    body = json.dumps({"type": "tool_result", "content": f"$ cat /etc/hosts\n{hosts}"})
    out, masker = mask(body.encode(), engine=engine)
    text = json.loads(out)["content"]
    assert "vault-01" not in text and "internal" not in text and domain not in text
    assert text.startswith("$ cat /etc/hosts\n10.") and "https://api." in text  # `api` stays
    host = text.split()[4]
    assert len(host) == len(f"vault-01.internal.{domain}") and host.count(".") == 3
    assert unmask(masker, out) == body.encode()


def test_a_domain_the_infrastructure_code_declares_is_masked_in_later_urls_and_prose() -> None:
    # Terraform reads the zone, nginx serves under it: either one says the domain is the user's
    domain = "".join(R.choice(string.ascii_lowercase) for _ in range(8)) + ".com"
    declarations = [
        f'data "aws_route53_zone" "main" {{\n  name = "{domain}."\n}}\n',
        f"server {{\n    listen 443 ssl;\n    server_name status.{domain};\n}}\n",
    ]
    later = f"$ curl -s https://billing.{domain}/healthz\nThe billing host at {domain} is up.\n"
    assert Engine(KEY_A).scan(later.encode()) == []  # a URL alone names no one's domain
    for declaration in declarations:
        engine = Engine(KEY_A)
        first, _ = mask(json.dumps({"content": declaration}).encode(), engine=engine)
        assert domain.encode() not in first
        out, masker = mask(later.encode(), engine=engine)
        assert domain.encode() not in out and b"billing." not in out
        assert out.startswith(b"$ curl -s https://") and len(out) == len(later)
        assert unmask(masker, out) == later.encode()


def test_a_domain_an_ingress_serves_is_masked_in_later_certificates_and_lookups() -> None:
    engine = Engine(KEY_A)
    rng = random.Random(2727)  # R's draws stay those of the tests after this one
    domain = "".join(rng.choice(string.ascii_lowercase) for _ in range(9)) + ".io"
    table = (
        "NAME     CLASS   HOSTS                      ADDRESS   PORTS   AGE\n"
        f"portal   nginx   portal.{domain}   10.42.3.9   80      3h\n"
    )
    body = json.dumps({"content": f"$ kubectl get ingress\n{table}"})
    first, _ = mask(body.encode(), engine=engine)
    assert domain.encode() not in first and b"portal." not in first
    later = f"subject=CN = *.{domain}\nName:\tledger-db.{domain}\n"
    assert Engine(KEY_A).scan(later.encode()) == []  # a certificate or a lookup names no one's
    out, masker = mask(later.encode(), engine=engine)
    assert domain.encode() not in out and b"ledger-db." not in out
    assert unmask(masker, out) == later.encode()


def test_an_aws_profile_the_config_declares_is_masked_where_a_later_command_names_it() -> None:
    engine = Engine(KEY_A)
    rng = random.Random(2728)
    profile = "ledger-" + "".join(rng.choice(string.ascii_lowercase) for _ in range(6))
    config = f"[profile {profile}]\nsso_account_id = 730145298361\nregion = us-east-1\n"
    first, _ = mask(json.dumps({"content": config}).encode(), engine=engine)
    assert profile.encode() not in first and b"region = us-east-1" in first
    later = f"I'll switch to {profile} and list the buckets there.\n"
    assert Engine(KEY_A).scan(later.encode()) == []  # a name alone names nothing
    out, masker = mask(later.encode(), engine=engine)
    assert profile.encode() not in out
    assert unmask(masker, out) == later.encode()


def test_a_host_the_ssh_config_names_is_masked_in_a_later_command() -> None:
    engine = Engine(KEY_A)
    alias = "jump-" + "".join(R.choice(string.ascii_lowercase) for _ in range(6))
    config = f"Host {alias}\n    HostName 10.20.30.40\n    User ops\n"
    first, _ = mask(config.encode(), engine=engine)
    assert alias.encode() not in first and b"    User ops\n" in first
    later = f"$ ssh {alias} 'sudo systemctl restart ledger'\nConnection to {alias} closed.\n"
    assert Engine(KEY_A).scan(later.encode()) == []  # an alias alone names nothing
    out, masker = mask(later.encode(), engine=engine)
    assert alias.encode() not in out
    assert unmask(masker, out) == later.encode()


def test_a_host_an_ansible_inventory_names_is_masked_in_a_later_command() -> None:
    engine = Engine(KEY_A)
    rng = random.Random(3131)  # R's draws stay those of the tests after this one
    alias = "ledger-db-" + "".join(rng.choice(string.ascii_lowercase) for _ in range(6))
    inventory = f"[db]\n{alias} ansible_host=10.42.7.15 ansible_user=ubuntu\n"
    body = json.dumps({"type": "tool_result", "content": f"$ cat inventory.ini\n{inventory}"})
    first, _ = mask(body.encode(), engine=engine)
    assert alias.encode() not in first and b" ansible_user=ubuntu" in first
    later = f'$ ansible {alias} -m ping\n{alias} | SUCCESS => {{"ping": "pong"}}\n'
    assert Engine(KEY_A).scan(later.encode()) == []  # an alias alone names nothing
    out, masker = mask(later.encode(), engine=engine)
    assert alias.encode() not in out
    assert unmask(masker, out) == later.encode()


def test_a_container_docker_ps_lists_is_masked_in_a_later_command() -> None:
    engine = Engine(KEY_A)
    rng = random.Random(4242)
    name = "billing-" + "".join(rng.choice(string.ascii_lowercase) for _ in range(6))
    table = (
        "CONTAINER ID   IMAGE         COMMAND                  STATUS       NAMES\n"
        f'3f1c2a9b8d7e   postgres:15   "docker-entrypoint.s…"   Up 2 hours   {name}\n'
    )
    body = json.dumps({"type": "tool_result", "content": table}, ensure_ascii=False)
    first, _ = mask(body.encode(), engine=engine)
    assert name.encode() not in first and b"postgres:15" in first
    later = f"$ docker logs --tail 20 {name}\n$ docker exec -it {name} psql -U postgres\n"
    assert Engine(KEY_A).scan(later.encode()) == []
    out, masker = mask(later.encode(), engine=engine)
    assert name.encode() not in out
    assert unmask(masker, out) == later.encode()


def test_the_remote_of_the_repository_is_masked_in_later_module_paths_and_commands() -> None:
    engine = Engine(KEY_A)
    org = "".join(R.choice(string.ascii_lowercase) for _ in range(7)) + "-eng"
    repo = "ledger-" + "".join(R.choice(string.ascii_lowercase) for _ in range(5))
    remotes = f"origin\tgit@github.com:{org}/{repo}.git (fetch)\n"
    first, _ = mask(remotes.encode(), engine=engine)
    assert org.encode() not in first and repo.encode() not in first
    later = f'import "github.com/{org}/{repo}/internal/settle"\n$ gh pr list --repo {org}/{repo}\n'
    assert Engine(KEY_A).scan(later.encode()) == []  # a module path alone names no one's repo
    out, masker = mask(later.encode(), engine=engine)
    assert org.encode() not in out and repo.encode() not in out
    assert unmask(masker, out) == later.encode()


def test_a_workload_named_by_its_pods_is_masked_in_a_later_command() -> None:
    engine = Engine(KEY_A)
    workload = "settle-" + "".join(R.choice(string.ascii_lowercase) for _ in range(6))
    pods = f"NAME   READY   STATUS\n{workload}-7d9f8b6c5d-x2x9k   1/1   Running\n"
    first, _ = mask(pods.encode(), engine=engine)
    assert workload.encode() not in first and b"-7d9f8b6c5d-x2x9k" in first
    later = f"Restart it: scale {workload} to zero, then check {workload}'s logs."
    out, masker = mask(later.encode(), engine=engine)
    assert workload.encode() not in out
    assert unmask(masker, out) == later.encode()


def test_a_commit_authors_address_is_masked_and_its_domain_stays_masked_later() -> None:
    engine = Engine(KEY_A)
    domain = "".join(R.choice(string.ascii_lowercase) for _ in range(8)) + ".co.uk"
    log = f"3f2a1b0 Priya Ramaswamy <priya.r@{domain}> Fix settlement rounding\n"
    first, _ = mask(log.encode(), engine=engine)
    assert domain.encode() not in first and b"priya.r@" not in first
    assert b"Ramaswamy" not in first and b" Fix settlement rounding" in first
    later = f"Open https://grafana.{domain}/d/ledger and ask Priya Ramaswamy."
    out, masker = mask(later.encode(), engine=engine)
    assert domain.encode() not in out and b"Ramaswamy" not in out
    assert unmask(masker, out) == later.encode()


def test_the_agents_own_commit_trailer_is_left_alone_and_not_remembered() -> None:
    # Claude Code's system prompt tells the model to sign commits so: no person, no user domain
    engine = Engine(KEY_A)
    trailer = "Co-Authored-By: Claude <noreply@anthropic.com>\n"
    out, _ = mask(trailer.encode(), engine=engine)
    assert out == trailer.encode()
    later = "See https://docs.anthropic.com/en/docs for the API."
    out, _ = mask(later.encode(), engine=engine)
    assert out == later.encode()


def test_a_parameters_path_goes_out_segment_for_segment_as_its_arn() -> None:
    # the prefix the agent lists by stays the prefix of the names and of the ARN the API sees
    project = "ledger-" + "".join(R.choice(string.ascii_lowercase) for _ in range(5))
    a = account()
    name = f"/{project}/prod/db-password"
    listing = json.dumps(
        {
            "Parameters": [
                {
                    "Name": name,
                    "Type": "SecureString",
                    "ARN": f"arn:aws:ssm:us-east-1:{a}:parameter{name}",
                    "Version": 3,
                }
            ]
        },
        indent=4,
    )
    text = f"$ aws ssm get-parameters-by-path --path /{project}/prod --recursive\n{listing}\n"
    body = json.dumps({"type": "tool_result", "content": text})
    out, masker = mask(body.encode())
    assert project.encode() not in out and b"db-password" not in out and a.encode() not in out
    sent = json.loads(out)["content"]
    masked_name = json.loads(sent.split("\n", 1)[1])["Parameters"][0]
    prefix = sent.split("--path ", 1)[1].split(" ", 1)[0]
    assert masked_name["Name"].startswith(prefix + "/")
    assert masked_name["ARN"].endswith(":parameter" + masked_name["Name"])
    assert unmask(masker, out) == body.encode()


def test_a_machine_a_hosts_file_names_is_masked_in_a_later_command() -> None:
    engine = Engine(KEY_A)
    worker = "billing-" + "".join(R.choice(string.ascii_lowercase) for _ in range(5)) + "-02"
    hosts = f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n10.20.4.18\t{worker}\n"
    body = json.dumps({"type": "tool_result", "content": f"$ cat /etc/hosts\n{hosts}"})
    first, _ = mask(body.encode(), engine=engine)
    assert worker.encode() not in first and b"ip6-localhost" in first
    later = f"$ ssh {worker} 'systemctl status billing'\n"
    assert Engine(KEY_A).scan(later.encode()) == []  # a machine's name alone says nothing
    out, masker = mask(later.encode(), engine=engine)
    assert worker.encode() not in out
    assert unmask(masker, out) == later.encode()
