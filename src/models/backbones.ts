// Importing this registers every built-in backbone.
import './small-cnn';
import './resnet';
import './mobilenetv2';
import './efficientnet';
import './convnext';
import './coatnet';
import './inception';
import './vit';
import './inception-v3';
