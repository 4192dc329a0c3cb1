//! The one table of versions the lab installs.

/// Versions of everything the lab installs. [`Versions::default`] is the current set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// Name of the set (`current`, `original-plan`), shown in the README.
    pub name: &'static str,
    pub kind_node_image: &'static str,
    /// Envoy Gateway Helm chart version (the chart also installs the Gateway API CRDs).
    pub envoy_gateway: &'static str,
    /// cert-manager Helm chart version (`jetstack/cert-manager`).
    pub cert_manager: &'static str,
    pub echo_image: &'static str,
    /// The Gateway API release the Envoy Gateway chart bundles; install.sh compares it with the CRDs'
    /// `gateway.networking.k8s.io/bundle-version` and warns on a mismatch.
    pub gateway_api: &'static str,
}

/// Every selectable set; the first is the default.
pub const VERSION_SETS: &[Versions] = &[
    Versions {
        name: "current",
        kind_node_image: "kindest/node:v1.36.1",
        envoy_gateway: "v1.9.0",
        cert_manager: "v1.19.1",
        echo_image: "registry.k8s.io/gateway-api/echo-basic:v1.5.1",
        gateway_api: "v1.6.1",
    },
    // The set the original lab plan pinned. Envoy Gateway v1.4 supports Kubernetes up to 1.33.
    Versions {
        name: "original-plan",
        kind_node_image: "kindest/node:v1.32.2",
        envoy_gateway: "v1.4.0",
        cert_manager: "v1.16.2",
        echo_image: "registry.k8s.io/gateway-api/echo-basic:v1.5.1",
        gateway_api: "v1.2.1",
    },
];

impl Versions {
    /// A set by name (`current`, `original-plan`).
    pub fn by_name(name: &str) -> Option<Versions> {
        VERSION_SETS.iter().find(|v| v.name == name).cloned()
    }

    /// The names of all sets, default first.
    pub fn names() -> Vec<&'static str> {
        VERSION_SETS.iter().map(|v| v.name).collect()
    }
}

impl Default for Versions {
    fn default() -> Self {
        VERSION_SETS[0].clone()
    }
}
