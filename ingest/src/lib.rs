//! MQTT → job queue: subscribe to telemetry, check the envelope, enqueue, then ack.
//!
//! Arrives with the telemetry pipeline issue; the crate exists so the workspace has
//! the shape of the design card from the start.
