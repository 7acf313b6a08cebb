"""CloudFront in front of the regional ALBs (spec §2.1/§2.2: the CDN CloudFlare stood for).

One custom origin: a Route53 name that routes (latency or geolocation, health-checked) to the
regional ALBs, so that CloudFront's edge location reaches the nearest healthy region and every method
fails over. An origin group would fail over GET, HEAD and OPTIONS only, and CloudFront refuses an
origin group on a behaviour that allows POST, PUT, PATCH or DELETE, which an API needs.

* Default behaviour (the API): never cached (AWS-managed ``CachingDisabled``), every viewer header
  but ``Host`` forwarded (AWS-managed ``AllViewerExceptHostHeader``: ``Host`` is then the origin name,
  the one on the regional certificates that the ALB's rules match), all methods.
* One behaviour per cached path, each with its own cache policy (TTLs from configuration, no cookies
  or headers in the key, compressed objects cached), GET/HEAD/OPTIONS only.
* Every behaviour: HTTPS only towards viewers (HTTP redirected), the response headers policy (HSTS,
  nosniff, frame options, referrer policy, XSS protection) when given.
* The origin: HTTPS only, TLS 1.2, and the secret header (:mod:`tonebridge.constructs.origin_secret`).
* Viewer TLS with an ACM certificate of us-east-1 (SNI), minimum ``TLSv1.2_2021``; HTTP/2 and HTTP/3.
* Standard logging (legacy) to a bucket of this construct: CloudFront's log delivery writes through
  the bucket's ACL (so ACLs stay enabled, owner preferred, and the grant names the ``awslogsdelivery``
  account), SSE-KMS with a customer key whose policy lets ``delivery.logs.amazonaws.com`` generate
  data keys (CloudFront cannot use the AWS-managed S3 key), versioned, TLS-only, expired after the
  retention period.
* The CLOUDFRONT-scope web ACL (given), CloudFront's own geo restriction for the blocked countries,
  and Shield Advanced when asked.

The caller creates it with a provider of us-east-1 (where CloudFront's certificate, ACL and the
log bucket's key live).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudfront_cache_policy import (
    CloudfrontCachePolicy,
    CloudfrontCachePolicyParametersInCacheKeyAndForwardedToOrigin,
    CloudfrontCachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfig,
    CloudfrontCachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfig,
    CloudfrontCachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfig,
)
from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionLoggingConfig,
    CloudfrontDistributionOrderedCacheBehavior,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionOriginCustomHeader,
    CloudfrontDistributionOriginCustomOriginConfig,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktf_cdktf_provider_aws.cloudfront_response_headers_policy import (
    CloudfrontResponseHeadersPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfig,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigXssProtection,
)
from cdktf_cdktf_provider_aws.data_aws_canonical_user_id import DataAwsCanonicalUserId
from cdktf_cdktf_provider_aws.data_aws_cloudfront_log_delivery_canonical_user_id import (
    DataAwsCloudfrontLogDeliveryCanonicalUserId,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_acl import (
    S3BucketAcl,
    S3BucketAclAccessControlPolicy,
    S3BucketAclAccessControlPolicyGrant,
    S3BucketAclAccessControlPolicyGrantGrantee,
    S3BucketAclAccessControlPolicyOwner,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.shield_protection import ShieldProtection
from constructs import Construct

from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, ServiceGrant
from tonebridge.constructs.s3_hardening import (
    default_encryption,
    expiring_versions,
    tls_only_policy,
    versioning_enabled,
)
from tonebridge.props.cdn import CachePathSettings, CdnSettings

#: AWS-managed policies (ids fixed by AWS, listed in the CloudFront Developer Guide,
#: "Use managed cache policies" / "Use managed origin request policies").
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
#: The origin id inside the distribution.
ORIGIN_ID = "regions"
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
CACHED_METHODS = ["GET", "HEAD"]
LOG_PREFIX = "cloudfront/"
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_LOG_DELIVERY = "delivery.logs.amazonaws.com"


@dataclass(frozen=True)
class CdnWiring:
    """What :class:`CdnDistribution` connects that is not ``dns.cdn`` configuration.

    name: prefix of the policies' names (letters, digits, '-', '_'; at most 64).
    aliases: the public names (on the certificate).
    certificate_arn: an issued ACM certificate of us-east-1 (the validation's ARN).
    web_acl_arn: a CLOUDFRONT-scope WAFv2 web ACL.
    origin_domain: the Route53 name that routes to the regional ALBs.
    origin_header_value: the active slot's secret value, sent in ``origin_secret.header`` to the ALBs.
    force_destroy_logs: delete the log bucket with its objects (emulator only).
    wait_for_deployment: false only against the emulator, where the provider's wait for the edge locations
    (half a minute of polling) waits for nothing; the attribute is left out otherwise (the provider waits).
    """

    name: str
    aliases: Sequence[str]
    certificate_arn: str
    web_acl_arn: str
    origin_domain: str
    origin_header_value: str
    force_destroy_logs: bool = False
    wait_for_deployment: bool = True

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"name {self.name!r}: letters, digits, '-' or '_', at most 64")
        if not self.aliases:
            raise ValueError("aliases: at least one public name")


class CdnDistribution(Construct):
    """Attributes: ``distribution``, ``domain_name``, ``hosted_zone_id``, ``arn``, ``log_bucket``,
    ``cache_policies`` (path -> policy), ``response_headers_policy`` (or None)."""

    def __init__(self, scope: Construct, id_: str, settings: CdnSettings, wiring: CdnWiring) -> None:
        """``settings``: the validated ``dns.cdn`` section (behaviours, TLS, logs, headers, WAF's countries);
        ``wiring``: names, ARNs and the origin secret's value."""
        super().__init__(scope, id_)
        self.settings = settings
        self.log_bucket = self._log_bucket(wiring)
        self.response_headers_policy = self._headers(wiring)
        headers_id = self.response_headers_policy.id if self.response_headers_policy else None
        self.cache_policies = {
            cached.path: self._cache_policy(wiring, i, cached) for i, cached in enumerate(settings.cache_paths)
        }
        ordered = [
            CloudfrontDistributionOrderedCacheBehavior(
                path_pattern=cached.path,
                target_origin_id=ORIGIN_ID,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=READ_METHODS,
                cached_methods=CACHED_METHODS,
                cache_policy_id=self.cache_policies[cached.path].id,
                response_headers_policy_id=headers_id,
                compress=True,
            )
            for cached in settings.cache_paths
        ]
        self.distribution = CloudfrontDistribution(
            self,
            "distribution",
            enabled=True,
            comment=f"{wiring.name}: CDN in front of the regional ALBs",
            aliases=list(wiring.aliases),
            price_class=settings.price_class,
            http_version=settings.http_version,
            is_ipv6_enabled=settings.ipv6,
            web_acl_id=wiring.web_acl_arn,
            **({} if wiring.wait_for_deployment else {"wait_for_deployment": False}),
            origin=[
                CloudfrontDistributionOrigin(
                    origin_id=ORIGIN_ID,
                    domain_name=wiring.origin_domain,
                    connection_attempts=3,
                    connection_timeout=10,
                    custom_origin_config=CloudfrontDistributionOriginCustomOriginConfig(
                        http_port=80,
                        https_port=443,
                        origin_protocol_policy="https-only",
                        origin_ssl_protocols=["TLSv1.2"],
                        origin_read_timeout=settings.origin_read_timeout,
                        origin_keepalive_timeout=5,
                    ),
                    custom_header=[
                        CloudfrontDistributionOriginCustomHeader(
                            name=settings.origin_secret.header, value=wiring.origin_header_value
                        )
                    ],
                )
            ],
            default_cache_behavior=CloudfrontDistributionDefaultCacheBehavior(
                target_origin_id=ORIGIN_ID,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=ALL_METHODS,
                cached_methods=CACHED_METHODS,
                cache_policy_id=CACHING_DISABLED,
                origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST_HEADER,
                response_headers_policy_id=headers_id,
                compress=True,
            ),
            ordered_cache_behavior=ordered or None,
            restrictions=CloudfrontDistributionRestrictions(
                geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(
                    restriction_type="blacklist" if settings.waf.blocked_countries else "none",
                    locations=sorted(settings.waf.blocked_countries),
                )
            ),
            viewer_certificate=CloudfrontDistributionViewerCertificate(
                acm_certificate_arn=wiring.certificate_arn,
                ssl_support_method="sni-only",
                minimum_protocol_version=settings.minimum_protocol_version,
            ),
            logging_config=CloudfrontDistributionLoggingConfig(
                bucket=self.log_bucket.bucket_domain_name,
                prefix=LOG_PREFIX,
                include_cookies=settings.logs.include_cookies,
            ),
            depends_on=[self._log_acl],
        )
        if settings.shield_advanced:
            ShieldProtection(self, "shield", name=wiring.name, resource_arn=self.distribution.arn)
        self.arn: str = self.distribution.arn
        self.domain_name: str = self.distribution.domain_name
        self.hosted_zone_id: str = self.distribution.hosted_zone_id

    def _log_bucket(self, wiring: CdnWiring) -> S3Bucket:
        logs = self.settings.logs
        key = EncryptionKey(
            self,
            "log-key",
            EncryptionKeyProps(
                alias=f"{logs.bucket}",
                description=f"{wiring.name}: CloudFront standard logs",
                service_grants=[ServiceGrant(principal=_LOG_DELIVERY, actions=("kms:GenerateDataKey*", "kms:Decrypt"))],
            ),
        )
        bucket = S3Bucket(self, "log-bucket", bucket=logs.bucket, force_destroy=wiring.force_destroy_logs)
        S3BucketPublicAccessBlock(
            self,
            "log-bucket-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        # Standard logging (legacy) writes through the bucket ACL: ACLs stay on, the owner owns the objects.
        ownership = S3BucketOwnershipControls(
            self,
            "log-bucket-ownership",
            bucket=bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerPreferred"),
        )
        owner = DataAwsCanonicalUserId(self, "owner")
        delivery = DataAwsCloudfrontLogDeliveryCanonicalUserId(self, "log-delivery")
        self._log_acl = S3BucketAcl(
            self,
            "log-bucket-acl",
            bucket=bucket.id,
            access_control_policy=S3BucketAclAccessControlPolicy(
                owner=S3BucketAclAccessControlPolicyOwner(id=owner.id),
                grant=[
                    S3BucketAclAccessControlPolicyGrant(
                        grantee=S3BucketAclAccessControlPolicyGrantGrantee(id=grantee, type="CanonicalUser"),
                        permission="FULL_CONTROL",
                    )
                    for grantee in (owner.id, delivery.id)
                ],
            ),
            depends_on=[ownership],
        )
        default_encryption(self, "log-bucket-encryption", bucket, key.arn)
        versioning_enabled(self, "log-bucket-versioning", bucket)
        expiring_versions(
            self,
            "log-bucket-lifecycle",
            bucket,
            rule_id="retention",
            noncurrent_days=30,
            expiration_days=logs.retention_days,
        )
        S3BucketPolicy(self, "log-bucket-policy", bucket=bucket.id, policy=tls_only_policy(bucket.arn))
        self.log_key = key
        return bucket

    def _headers(self, wiring: CdnWiring) -> CloudfrontResponseHeadersPolicy | None:
        headers = self.settings.security_headers
        if not headers.enabled:
            return None
        return CloudfrontResponseHeadersPolicy(
            self,
            "security-headers",
            name=f"{wiring.name}-security-headers",
            comment="HSTS and browser protections on every response",
            security_headers_config=CloudfrontResponseHeadersPolicySecurityHeadersConfig(
                strict_transport_security=CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity(
                    access_control_max_age_sec=headers.hsts_max_age,
                    include_subdomains=headers.hsts_include_subdomains,
                    preload=headers.hsts_preload,
                    override=True,
                ),
                content_type_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions(
                    override=True
                ),
                frame_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions(
                    frame_option=headers.frame_options, override=True
                ),
                referrer_policy=CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy(
                    referrer_policy=headers.referrer_policy, override=True
                ),
                xss_protection=CloudfrontResponseHeadersPolicySecurityHeadersConfigXssProtection(
                    protection=True, mode_block=True, override=True
                ),
            ),
        )

    def _cache_policy(self, wiring: CdnWiring, index: int, cached: CachePathSettings) -> CloudfrontCachePolicy:
        return CloudfrontCachePolicy(
            self,
            f"cache-{index}",
            name=f"{wiring.name}-cache-{index}",
            comment=f"{cached.path}: cached {cached.default_ttl}s by default",
            min_ttl=cached.min_ttl,
            default_ttl=cached.default_ttl,
            max_ttl=cached.max_ttl,
            parameters_in_cache_key_and_forwarded_to_origin=CloudfrontCachePolicyParametersInCacheKeyAndForwardedToOrigin(
                cookies_config=CloudfrontCachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfig(
                    cookie_behavior="none"
                ),
                headers_config=CloudfrontCachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfig(
                    header_behavior="none"
                ),
                query_strings_config=CloudfrontCachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfig(
                    query_string_behavior="all" if cached.query_strings else "none"
                ),
                enable_accept_encoding_brotli=True,
                enable_accept_encoding_gzip=True,
            ),
        )
