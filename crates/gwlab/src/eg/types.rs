//! Typed views of the Envoy Gateway kinds, decoded from the raw `spec` the loader keeps.
//!
//! Only the fields the simulation reads are typed; everything else stays in the raw JSON that
//! travels with each object ([`super::EgObject::raw`]). Field names are the CRD's, camelCase.

use crate::model::{LabelSelector, ObjectRef};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `targetRef` / `targetRefs[]` entry (LocalPolicyTargetReferenceWithSectionName).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TargetRef {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TargetSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<crate::model::LabelSelectorRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<SelectorNamespaces>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SelectorNamespaces {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub selector: Option<LabelSelector>,
}

impl TargetSelector {
    pub fn label_selector(&self) -> LabelSelector {
        LabelSelector {
            match_labels: self.match_labels.clone(),
            match_expressions: self.match_expressions.clone(),
        }
    }
}

/// The targeting part every policy kind shares.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTargets {
    /// Deprecated singular form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<TargetRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_refs: Vec<TargetRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_selectors: Vec<TargetSelector>,
    /// `StrategicMerge` or `JSONMerge` (route-level BTP/SP only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_type: Option<String>,
}

impl PolicyTargets {
    /// `targetRef` then `targetRefs`, as Envoy Gateway lists them.
    pub fn refs(&self) -> Vec<TargetRef> {
        self.target_ref
            .iter()
            .cloned()
            .chain(self.target_refs.iter().cloned())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// SecurityPolicy

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecurityPolicySpec {
    /// Decoded on its own (see `PolicyIndex::build`): a flattened field would make serde buffer the
    /// whole spec and instantiate every field's decoder a second time, for the buffer.
    #[serde(flatten, skip_deserializing)]
    pub targets: PolicyTargets,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<CorsSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt: Option<JwtSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuthSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_auth: Option<ApiKeyAuthSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_auth: Option<ExtAuthSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<AuthorizationSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcSpec>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CorsSpec {
    #[serde(default)]
    pub allow_origins: Vec<String>,
    #[serde(default)]
    pub allow_methods: Vec<String>,
    #[serde(default)]
    pub allow_headers: Vec<String>,
    #[serde(default)]
    pub expose_headers: Vec<String>,
    #[serde(default)]
    pub max_age: Option<String>,
    #[serde(default)]
    pub allow_credentials: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JwtSpec {
    #[serde(default)]
    pub optional: Option<bool>,
    #[serde(default)]
    pub fail_open: Option<bool>,
    #[serde(default)]
    pub providers: Vec<JwtProvider>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JwtProvider {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub audiences: Vec<String>,
    #[serde(default, rename = "remoteJWKS")]
    pub remote_jwks: Option<Value>,
    #[serde(default, rename = "localJWKS")]
    pub local_jwks: Option<LocalJwks>,
    #[serde(default)]
    pub claim_to_headers: Vec<ClaimToHeader>,
    #[serde(default)]
    pub extract_from: Option<JwtExtractFrom>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LocalJwks {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub inline: Option<String>,
    #[serde(default)]
    pub value_ref: Option<ObjectRef>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClaimToHeader {
    #[serde(default)]
    pub header: String,
    #[serde(default)]
    pub claim: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JwtExtractFrom {
    #[serde(default)]
    pub headers: Vec<JwtHeaderSource>,
    #[serde(default)]
    pub cookies: Vec<String>,
    #[serde(default)]
    pub params: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JwtHeaderSource {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value_prefix: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BasicAuthSpec {
    #[serde(default)]
    pub users: ObjectRef,
    #[serde(default)]
    pub forward_username_header: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyAuthSpec {
    #[serde(default)]
    pub credential_refs: Vec<ObjectRef>,
    #[serde(default)]
    pub extract_from: Vec<ApiKeyExtractFrom>,
    #[serde(default, rename = "forwardClientIDHeader")]
    pub forward_client_id_header: Option<String>,
    #[serde(default)]
    pub sanitize: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyExtractFrom {
    #[serde(default)]
    pub headers: Vec<String>,
    #[serde(default)]
    pub params: Vec<String>,
    #[serde(default)]
    pub cookies: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExtAuthSpec {
    #[serde(default)]
    pub grpc: Option<ExtAuthService>,
    #[serde(default)]
    pub http: Option<ExtAuthService>,
    #[serde(default)]
    pub headers_to_ext_auth: Vec<String>,
    #[serde(default)]
    pub fail_open: Option<bool>,
    #[serde(default)]
    pub status_on_error: Option<u16>,
    #[serde(default)]
    pub timeout: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExtAuthService {
    #[serde(default)]
    pub backend_ref: Option<crate::model::BackendRef>,
    #[serde(default)]
    pub backend_refs: Vec<crate::model::BackendRef>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub headers_to_backend: Vec<String>,
}

impl ExtAuthService {
    pub fn refs(&self) -> Vec<&crate::model::BackendRef> {
        self.backend_ref
            .iter()
            .chain(self.backend_refs.iter())
            .collect()
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationSpec {
    #[serde(default)]
    pub default_action: Option<String>,
    #[serde(default)]
    pub rules: Vec<AuthorizationRule>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationRule {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub principal: Option<Principal>,
    #[serde(default)]
    pub operation: Option<Operation>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    #[serde(default, rename = "clientCIDRs")]
    pub client_cidrs: Vec<String>,
    #[serde(default)]
    pub jwt: Option<JwtPrincipal>,
    #[serde(default)]
    pub headers: Vec<AuthzHeader>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JwtPrincipal {
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub claims: Vec<JwtClaimMatch>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JwtClaimMatch {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value_type: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthzHeader {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    #[serde(default)]
    pub methods: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OidcSpec {
    #[serde(default)]
    pub provider: Option<Value>,
    #[serde(default, rename = "clientID")]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<ObjectRef>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default, rename = "redirectURL")]
    pub redirect_url: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// BackendTrafficPolicy

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BackendTrafficPolicySpec {
    /// Decoded on its own (see `PolicyIndex::build`): a flattened field would make serde buffer the
    /// whole spec and instantiate every field's decoder a second time, for the buffer.
    #[serde(flatten, skip_deserializing)]
    pub targets: PolicyTargets,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_injection: Option<FaultInjection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_override: Vec<ResponseOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitSpec {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub local: Option<RateLimitRules>,
    #[serde(default)]
    pub global: Option<RateLimitRules>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitRules {
    #[serde(default)]
    pub rules: Vec<RateLimitRule>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitRule {
    #[serde(default)]
    pub client_selectors: Vec<ClientSelector>,
    #[serde(default)]
    pub limit: RateLimitValue,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitValue {
    #[serde(default)]
    pub requests: u64,
    #[serde(default)]
    pub unit: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClientSelector {
    #[serde(default)]
    pub headers: Vec<SelectorMatch>,
    #[serde(default)]
    pub methods: Vec<MethodSelector>,
    #[serde(default)]
    pub path: Option<PathSelector>,
    #[serde(default, rename = "sourceCIDR")]
    pub source_cidr: Option<SourceCidr>,
    #[serde(default)]
    pub query_params: Vec<SelectorMatch>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SelectorMatch {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub invert: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MethodSelector {
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub invert: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PathSelector {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub invert: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SourceCidr {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub invert: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FaultInjection {
    #[serde(default)]
    pub delay: Option<FaultDelay>,
    #[serde(default)]
    pub abort: Option<FaultAbort>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FaultDelay {
    #[serde(default)]
    pub fixed_delay: Option<String>,
    #[serde(default)]
    pub percentage: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FaultAbort {
    #[serde(default)]
    pub http_status: Option<u16>,
    #[serde(default)]
    pub grpc_status: Option<u16>,
    #[serde(default)]
    pub percentage: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResponseOverride {
    #[serde(default, rename = "match")]
    pub matches: OverrideMatch,
    #[serde(default)]
    pub response: Option<OverrideResponse>,
    #[serde(default)]
    pub redirect: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OverrideMatch {
    #[serde(default)]
    pub status_codes: Vec<StatusCodeMatch>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StatusCodeMatch {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub value: Option<u16>,
    #[serde(default)]
    pub range: Option<StatusRange>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct StatusRange {
    pub start: u16,
    pub end: u16,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OverrideResponse {
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub body: Option<BodySource>,
    #[serde(default)]
    pub status_code: Option<u16>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BodySource {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub inline: Option<String>,
    #[serde(default)]
    pub value_ref: Option<ObjectRef>,
}

// ---------------------------------------------------------------------------------------------
// ClientTrafficPolicy

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClientTrafficPolicySpec {
    /// Decoded on its own (see `PolicyIndex::build`): a flattened field would make serde buffer the
    /// whole spec and instantiate every field's decoder a second time, for the buffer.
    #[serde(flatten, skip_deserializing)]
    pub targets: PolicyTargets,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<CtpHeaders>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<CtpPath>,
    #[serde(
        default,
        rename = "clientIPDetection",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_ip_detection: Option<ClientIpDetection>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CtpHeaders {
    #[serde(default)]
    pub with_underscores_action: Option<String>,
    #[serde(default)]
    pub enable_envoy_headers: Option<bool>,
    #[serde(default)]
    pub disable_rate_limit_headers: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CtpPath {
    #[serde(default)]
    pub disable_merge_slashes: Option<bool>,
    #[serde(default)]
    pub escaped_slashes_action: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClientIpDetection {
    #[serde(default)]
    pub x_forwarded_for: Option<XForwardedFor>,
    #[serde(default)]
    pub custom_header: Option<CustomHeader>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct XForwardedFor {
    #[serde(default)]
    pub num_trusted_hops: Option<u32>,
    #[serde(default, rename = "trustedCIDRs")]
    pub trusted_cidrs: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CustomHeader {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub fail_closed: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// EnvoyProxy, HTTPRouteFilter, Backend

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EnvoyProxySpec {
    #[serde(default)]
    pub merge_gateways: Option<bool>,
    /// Cluster deduplication: an object (with an optional `selector`); being set at all enables it.
    #[serde(default)]
    pub merge_backends: Option<MergeBackends>,
    #[serde(default)]
    pub preserve_route_order: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MergeBackends {
    #[serde(default)]
    pub selector: Option<crate::model::LabelSelector>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteFilterSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_response: Option<DirectResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_rewrite: Option<RegexUrlRewrite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DirectResponse {
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub body: Option<BodySource>,
    #[serde(default)]
    pub status_code: Option<u16>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegexUrlRewrite {
    #[serde(default)]
    pub path: Option<RegexPathRewrite>,
    #[serde(default)]
    pub hostname: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegexPathRewrite {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub replace_regex_match: Option<RegexSubstitution>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegexSubstitution {
    #[serde(default)]
    pub pattern: String,
    #[serde(default)]
    pub substitution: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BackendSpec {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub endpoints: Vec<BackendEndpoint>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BackendEndpoint {
    #[serde(default)]
    pub fqdn: Option<HostPort>,
    #[serde(default)]
    pub ip: Option<IpPort>,
    #[serde(default)]
    pub unix: Option<UnixPath>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct HostPort {
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub port: u32,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct IpPort {
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub port: u32,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct UnixPath {
    #[serde(default)]
    pub path: String,
}
