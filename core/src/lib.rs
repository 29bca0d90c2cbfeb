//! The pure domain of Happiness Canteen.
