// What jupyter-leaflet's model files get when they import its `leaflet` module: Leaflet with only the
// plugins the resident pages' maps use. jupyter-leaflet's own module loads some twenty plugins (drawing,
// measuring, search, vector tiles, projections, ...), about half of the client's bytes; the staff pages,
// which draw and edit geodata, keep Voila's front end and the whole of it.
import L from 'leaflet';
import 'leaflet-defaulticon-compatibility';  // marker icons found from the stylesheet, not from a script URL
import 'leaflet-fullscreen';  // the map model listens to its fullscreen events
import 'leaflet-rotatedmarker';  // the marker model sets its rotation

// The tile layer model calls refresh() when its URL changes; redrawing the tiles is enough here.
L.Layer.include({
  refresh() {
    if (this.redraw) { this.redraw(); }
  },
});

export default L;
