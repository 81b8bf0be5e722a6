use super::*;

#[test]
fn venue_names_round_trip() {
    for v in Venue::ALL {
        assert_eq!(v.name().parse::<Venue>().ok(), Some(v));
    }
    assert!(matches!("ftx".parse::<Venue>(), Err(VenueError::UnknownVenue(_))));
}
