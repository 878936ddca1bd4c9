"""RuleConfig.from_dict: the [masking] table of the TOML config, and its error messages."""

from __future__ import annotations

import pytest

from masking.engine import types
from masking.rules import KNOWN_MB, KNOWN_VALUES, RuleConfig


def test_from_dict_full() -> None:
    cfg = RuleConfig.from_dict(
        {
            "disable": ["ipv4_private"],
            "terms": ["Acme", "*.corp.example.com"],
            "allowlist": ["10.0.0.1"],
            "regex": [{"name": "ticket", "pattern": "TCK-[0-9]+"}],
        }
    )
    assert cfg.disabled == frozenset({"ipv4_private"})
    assert cfg.terms == ("Acme", "*.corp.example.com")
    assert cfg.regexes == (("ticket", "TCK-[0-9]+"),)
    assert cfg.allowlist == ("10.0.0.1",)


def test_empty_table_is_the_default() -> None:
    assert RuleConfig.from_dict({}) == RuleConfig()
    # remembered values: at least 100,000 within 64 MB by default (issue 12)
    assert RuleConfig().known_values == KNOWN_VALUES >= 100_000
    assert RuleConfig().known_mb == KNOWN_MB
    assert RuleConfig().known_bytes == KNOWN_MB << 20 <= 64 << 20


def test_known_values_size_and_off() -> None:
    cfg = RuleConfig.from_dict({"known_values": 0, "known_mb": 0})
    assert (cfg.known_values, cfg.known_bytes) == (0, 0)
    cfg = RuleConfig.from_dict({"known_values": 5000, "known_mb": 8})
    assert (cfg.known_values, cfg.known_bytes) == (5000, 8 << 20)


def test_user_regex_types_can_be_disabled() -> None:
    cfg = RuleConfig.from_dict(
        {"regex": [{"name": "t", "pattern": "x[0-9]"}], "disable": ["user_regex:t"]}
    )
    assert "user_regex:t" in cfg.disabled


@pytest.mark.parametrize(
    "table,message",
    [
        ({"disabled": ["ipv4_private"]}, "unknown key"),
        ({"disable": ["no_such_type"]}, "unknown type"),
        ({"disable": "ipv4_private"}, "array of strings"),
        ({"terms": [1]}, "array of strings"),
        ({"terms": [""]}, "empty term"),
        ({"terms": ["*."]}, "empty term"),
        ({"regex": [{"name": "x", "pattern": "("}]}, "invalid pattern"),
        ({"regex": [{"name": "x", "pattern": "a*"}]}, "empty string"),
        ({"regex": [{"name": "x"}]}, "pattern"),
        ({"regex": [{"name": "has space", "pattern": "a"}]}, "name"),
        ({"regex": [{"name": "x", "pattern": "a", "flags": "i"}]}, "unknown key"),
        ({"regex": [{"name": "x", "pattern": "a"}, {"name": "x", "pattern": "b"}]}, "duplicate"),
        ({"regex": {"name": "x"}}, "array of tables"),
        ({"regex": ["x"]}, "table"),
        ({"resend_cache_mb": 64}, "no longer used"),
        ({"known_values": -1}, "known_values"),
        ({"known_values": "64"}, "known_values"),
        ({"known_mb": True}, "known_mb"),
        ({"known_mb": 1.5}, "known_mb"),
    ],
)
def test_errors_say_what_is_wrong(table: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RuleConfig.from_dict(table)


def test_catalog_sizes_and_categories() -> None:
    cats: dict[str, int] = {}
    rows = types()
    assert len({info.name for info in rows}) == len(rows)  # one row per type
    for info in rows:
        cats[info.category] = cats.get(info.category, 0) + 1
        assert info.name and info.description and info.shape in ("classwise", "hex", "ipv4", "ipv6")
    assert cats["aws"] >= 60
    assert cats["secret"] >= 60
    assert cats["network"] >= 3
    assert cats["user"] >= 2


# The types of the Python engine's catalog when the native core replaced it (issue 12: keep
# every type the catalog has).
TYPES_BEFORE_THE_CORE = [
    "adafruit_key",
    "age_secret_key",
    "anthropic_api_key",
    "atlassian_token",
    "aws_access_key_id",
    "aws_account_id",
    "aws_ami_id",
    "aws_appsync_api_key",
    "aws_arn",
    "aws_bundle_task_id",
    "aws_capacity_reservation_id",
    "aws_carrier_gateway_id",
    "aws_client_vpn_endpoint_id",
    "aws_custom_key_store_id",
    "aws_customer_gateway_id",
    "aws_db_identifier",
    "aws_dedicated_host_id",
    "aws_dhcp_options_id",
    "aws_ebs_snapshot_id",
    "aws_ebs_volume_id",
    "aws_ec2_fleet_id",
    "aws_ec2_instance_id",
    "aws_efs_id",
    "aws_eip_id",
    "aws_elastic_gpu_id",
    "aws_export_task_id",
    "aws_flow_log_id",
    "aws_fpga_image_id",
    "aws_fsx_svm_id",
    "aws_fsx_volume_id",
    "aws_hostname",
    "aws_iam_name",
    "aws_iam_unique_id",
    "aws_import_task_id",
    "aws_instance_connect_endpoint_id",
    "aws_instance_event_window_id",
    "aws_internet_gateway_id",
    "aws_ipam_id",
    "aws_ipam_pool_id",
    "aws_ipam_scope_id",
    "aws_ipv4_pool_id",
    "aws_key_pair_id",
    "aws_kms_key_id",
    "aws_launch_template_id",
    "aws_local_gateway_id",
    "aws_local_gateway_route_table_id",
    "aws_nat_gateway_id",
    "aws_network_acl_id",
    "aws_network_insights_id",
    "aws_network_interface_attachment_id",
    "aws_network_interface_id",
    "aws_placement_group_id",
    "aws_prefix_list_id",
    "aws_rds_resource_id",
    "aws_reservation_id",
    "aws_resource_name",
    "aws_route53_zone_id",
    "aws_route_table_id",
    "aws_s3_bucket",
    "aws_secret_access_key",
    "aws_security_group_id",
    "aws_security_group_rule_id",
    "aws_session_token",
    "aws_spot_instance_request_id",
    "aws_sqs_queue_url",
    "aws_subnet_id",
    "aws_traffic_mirror_id",
    "aws_transit_gateway_attachment_id",
    "aws_transit_gateway_id",
    "aws_transit_gateway_multicast_domain_id",
    "aws_transit_gateway_route_table_id",
    "aws_verified_access_id",
    "aws_vpc_endpoint_id",
    "aws_vpc_endpoint_service_id",
    "aws_vpc_id",
    "aws_vpc_peering_connection_id",
    "aws_vpn_connection_id",
    "aws_vpn_gateway_id",
    "azure_ad_client_secret",
    "azure_storage_key",
    "basic_auth",
    "bearer_token",
    "brevo_api_key",
    "cidr_block",
    "clojars_token",
    "contentful_token",
    "databricks_token",
    "db_password",
    "digitalocean_token",
    "discord_webhook",
    "docker_auth",
    "doppler_token",
    "duffel_token",
    "dynatrace_token",
    "easypost_api_key",
    "flyio_token",
    "frameio_token",
    "generic_api_key",
    "generic_secret",
    "github_app_token",
    "github_fine_grained_pat",
    "github_oauth",
    "github_pat",
    "github_refresh_token",
    "github_user_token",
    "gitlab_pat",
    "gitlab_runner_registration",
    "gitlab_token",
    "google_api_key",
    "google_oauth_client_secret",
    "google_oauth_token",
    "grafana_token",
    "groq_api_key",
    "heroku_api_key",
    "huggingface_org_token",
    "huggingface_token",
    "ipv4_private",
    "ipv4_public",
    "ipv6_address",
    "ipv6_cidr_block",
    "jwt",
    "k8s_secret_data",
    "linear_api_key",
    "mailchimp_api_key",
    "mailgun_api_key",
    "mapbox_secret_token",
    "newrelic_key",
    "notion_token",
    "npm_token",
    "octopus_api_key",
    "openai_api_key",
    "password",
    "perplexity_api_key",
    "planetscale_token",
    "postman_api_key",
    "prefect_token",
    "private_key",
    "pulumi_token",
    "pypi_token",
    "replicate_token",
    "rubygems_api_key",
    "sendgrid_api_key",
    "sentry_token",
    "shippo_token",
    "shopify_token",
    "slack_app_token",
    "slack_config_token",
    "slack_token",
    "slack_webhook",
    "square_token",
    "stripe_secret_key",
    "stripe_webhook_secret",
    "supabase_token",
    "telegram_bot_token",
    "terraform_cloud_token",
    "twilio_api_key",
    "url_credentials",
    "user_domain",
    "user_term",
    "vault_token",
    "xai_api_key",
]


def test_every_type_of_the_former_catalog_is_kept() -> None:
    assert len(TYPES_BEFORE_THE_CORE) == 161
    missing = sorted(set(TYPES_BEFORE_THE_CORE) - {info.name for info in types()})
    assert missing == []
