// The jupyter-leaflet models the resident pages use (toolkit/maps.py, toolkit/ui/propose.py, ballot.py,
// scoring.py, status): the map, its vector layers, markers and icons, local tiles and the widget, zoom,
// attribution, scale, layers and legend controls. A page that sends another class gets the client's plain
// "could not be shown" message (Manager.loadClass in resident.js); the staff pages use Voila's front end.
export * from 'jupyter-leaflet/lib/Map';
export * from 'jupyter-leaflet/lib/layers/Layer';
export * from 'jupyter-leaflet/lib/layers/RasterLayer';
export * from 'jupyter-leaflet/lib/layers/TileLayer';
export * from 'jupyter-leaflet/lib/layers/LocalTileLayer';
export * from 'jupyter-leaflet/lib/layers/ImageOverlay';
export * from 'jupyter-leaflet/lib/layers/VectorLayer';
export * from 'jupyter-leaflet/lib/layers/Path';
export * from 'jupyter-leaflet/lib/layers/Polyline';
export * from 'jupyter-leaflet/lib/layers/Polygon';
export * from 'jupyter-leaflet/lib/layers/Rectangle';
export * from 'jupyter-leaflet/lib/layers/CircleMarker';
export * from 'jupyter-leaflet/lib/layers/Circle';
export * from 'jupyter-leaflet/lib/layers/Marker';
export * from 'jupyter-leaflet/lib/layers/Icon';
export * from 'jupyter-leaflet/lib/layers/DivIcon';
export * from 'jupyter-leaflet/lib/layers/Popup';
export * from 'jupyter-leaflet/lib/layers/LayerGroup';
export * from 'jupyter-leaflet/lib/layers/FeatureGroup';
export * from 'jupyter-leaflet/lib/layers/GeoJSON';
export * from 'jupyter-leaflet/lib/controls/Control';
export * from 'jupyter-leaflet/lib/controls/WidgetControl';
export * from 'jupyter-leaflet/lib/controls/ZoomControl';
export * from 'jupyter-leaflet/lib/controls/AttributionControl';
export * from 'jupyter-leaflet/lib/controls/ScaleControl';
export * from 'jupyter-leaflet/lib/controls/LayersControl';
export * from 'jupyter-leaflet/lib/controls/LegendControl';
export * from 'jupyter-leaflet/lib/controls/FullScreenControl';

import 'leaflet/dist/leaflet.css';
import 'leaflet-defaulticon-compatibility/dist/leaflet-defaulticon-compatibility.webpack.css';
import 'leaflet-fullscreen/dist/leaflet.fullscreen.css';
import 'jupyter-leaflet/css/jupyter-leaflet.css';
