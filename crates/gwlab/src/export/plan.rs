//! Decisions shared by the generated files: which Envoy Services exist, their nodePorts and host ports,
//! which echo backends to generate, and how each prediction reaches its Gateway.

use std::collections::BTreeSet;

use super::input::{ExportInput, Prediction, TargetPort};

/// Requests sent for a distribution check.
pub const SAMPLES: u32 = 200;

/// One Envoy Service: one Gateway, or all Gateways of a class with `mergeGateways`.
#[derive(Debug, Clone)]
pub struct Plane {
    pub gateways: Vec<(String, String)>,
    /// The EnvoyProxy (namespace, name) that makes the Service a NodePort.
    pub proxy: (String, String),
    /// The bundle creates `proxy` and points the Gateway at it; otherwise it patches the user's.
    pub generated_proxy: bool,
    pub ports: Vec<PortMap>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMap {
    pub port: u16,
    pub udp: bool,
    pub node_port: u16,
    pub host_port: u16,
}

/// An echo-basic Deployment behind a Service without a workload.
#[derive(Debug, Clone)]
pub struct Echo {
    pub namespace: String,
    pub service: String,
    pub deployment: String,
    pub labels: Vec<(String, String)>,
    pub containers: Vec<EchoContainer>,
}

#[derive(Debug, Clone)]
pub struct EchoContainer {
    pub port: u16,
    pub port_name: Option<String>,
    pub h2c_port: u16,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub planes: Vec<Plane>,
    pub echoes: Vec<Echo>,
    /// Services that need a backend but have no selector to put one behind.
    pub selectorless: Vec<(String, String)>,
    /// DNS names covered by certificates from the lab CA.
    pub ca_names: Vec<String>,
    pub cert_manager: bool,
}

fn generated_proxy_name(gateway: &str) -> String {
    format!("gwlab-{gateway}")
}

/// The echo Deployment's name for a Service.
pub fn echo_name(service: &str) -> String {
    format!("{service}-echo")
}

pub fn plan(input: &ExportInput) -> Plan {
    // Group Gateways into Envoy Services.
    let mut planes: Vec<Plane> = Vec::new();
    for g in &input.gateways {
        let gw = (g.namespace.clone(), g.name.clone());
        let (proxy, generated) = match &g.envoy_proxy {
            Some(p) => (p.clone(), false),
            None => ((g.namespace.clone(), generated_proxy_name(&g.name)), true),
        };
        // Gateways that name the same EnvoyProxy of the user's share its Service settings (one Envoy Service
        // when the class merges Gateways).
        let existing = if generated {
            None
        } else {
            planes
                .iter()
                .position(|p| !p.generated_proxy && p.proxy == proxy)
        };
        let idx = match existing {
            Some(i) => i,
            None => {
                planes.push(Plane {
                    gateways: Vec::new(),
                    proxy,
                    generated_proxy: generated,
                    ports: Vec::new(),
                });
                planes.len() - 1
            }
        };
        let plane = &mut planes[idx];
        if !plane.gateways.contains(&gw) {
            plane.gateways.push(gw);
        }
        for l in &g.listeners {
            let udp = l.protocol.eq_ignore_ascii_case("UDP");
            if !plane.ports.iter().any(|p| p.port == l.port && p.udp == udp) {
                plane.ports.push(PortMap {
                    port: l.port,
                    udp,
                    node_port: 0,
                    host_port: 0,
                });
            }
        }
    }
    // nodePorts (one cluster-wide pool) and host ports (unique per protocol).
    let mut node_used = BTreeSet::new();
    let mut host_used = BTreeSet::new();
    for plane in &mut planes {
        for pm in &mut plane.ports {
            let preferred = 30000u32 + pm.port as u32;
            let np = if preferred <= 32767 && !node_used.contains(&(preferred as u16)) {
                preferred as u16
            } else {
                (30000..=32767u16)
                    .rev()
                    .find(|p| !node_used.contains(p))
                    .unwrap_or(32767)
            };
            node_used.insert(np);
            pm.node_port = np;
            let hp = if !host_used.contains(&(pm.port, pm.udp)) {
                pm.port
            } else {
                let shifted = pm.port as u32 + 20000;
                if shifted <= 65535 && !host_used.contains(&(shifted as u16, pm.udp)) {
                    shifted as u16
                } else {
                    (20000..=65535u16)
                        .find(|p| !host_used.contains(&(*p, pm.udp)))
                        .unwrap_or(65535)
                }
            };
            host_used.insert((hp, pm.udp));
            pm.host_port = hp;
        }
    }

    // Echo backends.
    let mut echoes: Vec<Echo> = Vec::new();
    let mut selectorless = Vec::new();
    for b in &input.backends {
        if b.has_workload
            || echoes
                .iter()
                .any(|e| e.namespace == b.namespace && e.service == b.name)
        {
            continue;
        }
        if b.selector.is_empty() {
            let key = (b.namespace.clone(), b.name.clone());
            if !selectorless.contains(&key) {
                selectorless.push(key);
            }
            continue;
        }
        let numbers: BTreeSet<u16> = b
            .ports
            .iter()
            .filter_map(|(_, t)| match t {
                TargetPort::Number(n) => Some(*n),
                TargetPort::Name(_) => None,
            })
            .collect();
        let mut used: BTreeSet<u16> = numbers.clone();
        used.insert(3001); // echo-basic's default h2c port
        let mut containers: Vec<EchoContainer> = Vec::new();
        for n in &numbers {
            containers.push(EchoContainer {
                port: *n,
                port_name: None,
                h2c_port: 0,
            });
        }
        let mut next_named = 8080u16;
        for (_, t) in &b.ports {
            if let TargetPort::Name(name) = t {
                if containers
                    .iter()
                    .any(|c| c.port_name.as_deref() == Some(name))
                {
                    continue;
                }
                while used.contains(&next_named) {
                    next_named += 1;
                }
                used.insert(next_named);
                containers.push(EchoContainer {
                    port: next_named,
                    port_name: Some(name.clone()),
                    h2c_port: 0,
                });
            }
        }
        if containers.is_empty() {
            containers.push(EchoContainer {
                port: 3000,
                port_name: None,
                h2c_port: 0,
            });
            used.insert(3000);
        }
        let mut next_h2c = 40001u16;
        for c in &mut containers {
            while used.contains(&next_h2c) {
                next_h2c += 1;
            }
            used.insert(next_h2c);
            c.h2c_port = next_h2c;
        }
        echoes.push(Echo {
            namespace: b.namespace.clone(),
            service: b.name.clone(),
            deployment: echo_name(&b.name),
            labels: b.selector.clone(),
            containers,
        });
    }

    let mut ca_names: Vec<String> = Vec::new();
    for (_, _, names) in &input.missing_tls_secrets {
        for n in names {
            if !ca_names.contains(n) {
                ca_names.push(n.clone());
            }
        }
    }
    Plan {
        planes,
        echoes,
        selectorless,
        ca_names,
        cert_manager: input.uses_cert_manager || !input.missing_tls_secrets.is_empty(),
    }
}

impl Plan {
    /// The host port a prediction's request must be sent to.
    pub fn host_port(&self, p: &Prediction) -> u16 {
        let udp = false;
        let by_gateway = p.gateway.as_ref().and_then(|g| {
            self.planes
                .iter()
                .find(|pl| pl.gateways.contains(g))
                .and_then(|pl| {
                    pl.ports
                        .iter()
                        .find(|pm| pm.port == p.port && pm.udp == udp)
                })
        });
        by_gateway
            .or_else(|| {
                self.planes
                    .iter()
                    .flat_map(|pl| pl.ports.iter())
                    .find(|pm| pm.port == p.port && pm.udp == udp)
            })
            .map(|pm| pm.host_port)
            .unwrap_or(p.port)
    }

    /// The lab CA issued a certificate covering `name`.
    pub fn ca_covers(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.ca_names.iter().any(|pattern| {
            let pattern = pattern.to_ascii_lowercase();
            match pattern.strip_prefix("*.") {
                Some(suffix) => name
                    .split_once('.')
                    .is_some_and(|(first, rest)| !first.is_empty() && rest == suffix),
                None => pattern == name,
            }
        })
    }

    /// The echo Deployment behind a Service, when the bundle generates one.
    pub fn echo_for(&self, ns: &str, name: &str) -> Option<&Echo> {
        self.echoes
            .iter()
            .find(|e| e.namespace == ns && e.service == name)
    }
}
